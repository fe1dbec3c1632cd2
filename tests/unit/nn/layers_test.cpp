// Attention module, MLP, activations and transformer blocks against explicit formulas.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "setok/nn/activation.h"
#include "setok/nn/attention.h"
#include "setok/nn/mlp.h"
#include "setok/nn/transformer.h"
#include "setok/runtime/error.h"

namespace setok::nn {
namespace {

void expect_close(const at::Tensor& a, const at::Tensor& b, double atol, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LE((a - b).abs().max().item<double>(), atol) << what;
}

// softmax((x Wq)(c Wk)^T / sqrt(E) + mask) (c Wv) Wo, written out head by head.
at::Tensor explicit_attention(AttentionImpl& m, const at::Tensor& x, const at::Tensor& c,
                              const at::Tensor& key_mask) {
  const int64_t H = m.options().heads, D = m.options().dim, E = D / H;
  const at::Tensor q = m.q_proj->forward(x), k = m.k_proj->forward(c), v = m.v_proj->forward(c);
  std::vector<at::Tensor> heads;
  for (int64_t h = 0; h < H; ++h) {
    const at::Tensor qh = q.narrow(2, h * E, E), kh = k.narrow(2, h * E, E),
                     vh = v.narrow(2, h * E, E);
    at::Tensor s =
        at::bmm(qh, kh.transpose(1, 2)) / std::sqrt(static_cast<double>(E));  // [B, L, S]
    if (key_mask.defined()) s = s.masked_fill(key_mask.logical_not().unsqueeze(1), -1e30);
    heads.push_back(at::bmm(at::softmax(s, -1), vh));
  }
  return m.out_proj->forward(at::cat(heads, -1));
}

TEST(Activation, NamesAndValues) {
  const at::Tensor x = at::linspace(-3, 3, 13);
  EXPECT_TRUE(at::allclose(activate(x, parse_activation("gelu")),
                           0.5 * x * (1 + at::erf(x / std::sqrt(2.0))), 1e-5, 1e-6));
  const at::Tensor tanh_ref =
      0.5 * x * (1 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
  EXPECT_TRUE(
      at::allclose(activate(x, parse_activation("gelu_pytorch_tanh")), tanh_ref, 1e-5, 1e-6));
  EXPECT_EQ(parse_activation("gelu_new"), Activation::kGeluTanh);
  EXPECT_TRUE(at::allclose(activate(x, parse_activation("swish")), x * at::sigmoid(x)));
  EXPECT_TRUE(
      at::allclose(activate(x, parse_activation("quick_gelu")), x * at::sigmoid(1.702 * x)));
  EXPECT_THROW(parse_activation("gelu2"), Error);
  EXPECT_EQ(activation_name(parse_activation("relu")), "relu");
}

TEST(Attention, SelfAndCrossMatchExplicitFormula) {
  at::manual_seed(0);
  AttentionOptions o;
  o.dim = 16;
  o.heads = 4;
  Attention self(o);
  const at::Tensor x = at::randn({2, 5, 16});
  expect_close(self->forward(x), explicit_attention(*self, x, x, {}), 1e-5, "self");
  o.kv_dim = 12;
  Attention cross(o);
  const at::Tensor c = at::randn({2, 7, 12});
  const at::Tensor mask = at::arange(7).unsqueeze(0) < at::tensor({7, 3}).unsqueeze(1);  // [2, 7]
  expect_close(cross->forward(x, c, mask), explicit_attention(*cross, x, c, mask), 1e-5, "cross");
}

TEST(Attention, PerQueryMaskRestrictsEachQuery) {
  // Block-diagonal mask: tokens attend only within their group, exactly as if each group ran
  // on its own.
  at::manual_seed(6);
  AttentionOptions o;
  o.dim = 8;
  o.heads = 2;
  Attention m(o);
  const at::Tensor x = at::randn({1, 5, 8});
  const at::Tensor group = at::tensor({0, 1, 0, 1, 1}).view({1, 5});
  const at::Tensor same = group.unsqueeze(2) == group.unsqueeze(1);  // [1, 5, 5]
  const at::Tensor out = m->forward(x, {}, same);
  const at::Tensor g0 = at::tensor({0, 2}), g1 = at::tensor({1, 3, 4});
  expect_close(out.index_select(1, g0), m->forward(x.index_select(1, g0)), 1e-5, "group 0");
  expect_close(out.index_select(1, g1), m->forward(x.index_select(1, g1)), 1e-5, "group 1");
  EXPECT_THROW(m->forward(x, {}, at::ones({1, 4, 5}, at::kBool)), Error);
}

TEST(Attention, MaskedKeysNeverReachOutputs) {
  at::manual_seed(1);
  AttentionOptions o;
  o.dim = 8;
  o.heads = 2;
  Attention m(o);
  at::Tensor c = at::randn({1, 6, 8});
  const at::Tensor mask = (at::arange(6) < 4).unsqueeze(0);
  const at::Tensor x = at::randn({1, 3, 8});
  const at::Tensor a = m->forward(x, c, mask);
  c.narrow(1, 4, 2).fill_(100.0);
  EXPECT_TRUE(at::allclose(m->forward(x, c, mask), a));
  EXPECT_FALSE(at::allclose(m->forward(x, c), a));  // without the mask they do
}

TEST(Attention, BadShapesAreErrors) {
  AttentionOptions o;
  o.dim = 10;
  o.heads = 3;
  EXPECT_THROW(Attention{o}, Error);
  o.heads = 2;
  Attention m(o);
  EXPECT_THROW(m->forward(at::randn({2, 10})), Error);
  EXPECT_THROW(m->forward(at::randn({2, 3, 10}), {}, at::ones({2, 4}, at::kBool)), Error);
}

TEST(Mlp, Fc1ActivationFc2) {
  at::manual_seed(2);
  MlpOptions o;
  o.dim = 6;
  o.hidden = 10;
  o.out = 3;
  o.activation = Activation::kSilu;
  Mlp m(o);
  const at::Tensor x = at::randn({4, 6});
  expect_close(m->forward(x), m->fc2->forward(at::silu(m->fc1->forward(x))), 1e-6, "mlp");
  EXPECT_EQ(m->forward(x).size(1), 3);
}

TEST(TransformerBlock, PreNormResidualWiring) {
  at::manual_seed(3);
  TransformerOptions o;
  o.dim = 8;
  o.heads = 2;
  o.mlp_hidden = 12;
  TransformerBlock b(o);
  const at::Tensor x = at::randn({2, 5, 8});
  const at::Tensor h = x + b->self_attn->forward(b->layer_norm1->forward(x));
  const at::Tensor want = h + b->mlp->forward(b->layer_norm2->forward(h));
  expect_close(b->forward(x), want, 1e-6, "block");
  // HF ViT / SigLIP parameter names.
  std::vector<std::string> names;
  for (const auto& p : b->named_parameters()) names.push_back(p.key());
  EXPECT_NE(std::find(names.begin(), names.end(), "self_attn.q_proj.weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "layer_norm2.bias"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "mlp.fc2.weight"), names.end());
}

TEST(Transformer, UptoAndHiddenStates) {
  at::manual_seed(4);
  TransformerOptions o;
  o.dim = 8;
  o.heads = 2;
  Transformer t(o, 3);
  const at::Tensor x = at::randn({1, 4, 8});
  std::vector<at::Tensor> hs;
  const at::Tensor full = t->forward(x, {}, false, -1, &hs);
  ASSERT_EQ(hs.size(), 4u);
  EXPECT_TRUE(at::equal(hs[0], x));
  EXPECT_TRUE(at::allclose(hs[3], full));
  EXPECT_TRUE(at::allclose(t->forward(x, {}, false, 2), hs[2]));
  EXPECT_TRUE(at::equal(t->forward(x, {}, false, 0), x));
}

TEST(Transformer, PaddedRowsDoNotChangeRealRows) {
  at::manual_seed(5);
  TransformerOptions o;
  o.dim = 8;
  o.heads = 2;
  Transformer t(o, 2);
  at::Tensor x = at::randn({1, 6, 8});
  const at::Tensor mask = (at::arange(6) < 4).unsqueeze(0);
  const at::Tensor a = t->forward(x, mask).narrow(1, 0, 4);
  x.narrow(1, 4, 2).normal_(0, 50);
  EXPECT_TRUE(at::allclose(t->forward(x, mask).narrow(1, 0, 4), a, 1e-5, 1e-6));
  // And equals running the 4 real rows alone.
  EXPECT_TRUE(at::allclose(t->forward(x.narrow(1, 0, 4)), a, 1e-5, 1e-6));
}

}  // namespace
}  // namespace setok::nn
