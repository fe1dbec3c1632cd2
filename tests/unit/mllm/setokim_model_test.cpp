// The trained part of Setokim on a tiny random LLaMA: embeddings of text, specials and image
// positions; the text and diffusion losses against their definitions; the frozen base.
#include "setok/mllm/setokim_model.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "errors.h"

namespace setok::mllm {
namespace {

constexpr int64_t V = 40, kNoLabel = llm::kIgnoreIndex, kImage = llm::kImageTokenId;
const SpecialIds kSpecials{V, V + 1, V + 2, 0};

SetokimModel tiny_model() {
  at::manual_seed(0);
  SetokimModelOptions o;
  o.llm.vocab_size = V;
  o.llm.hidden_size = 16;
  o.llm.intermediate_size = 32;
  o.llm.num_hidden_layers = 1;
  o.llm.num_attention_heads = 2;
  o.llm.num_key_value_heads = 1;
  o.llm.max_position_embeddings = 64;
  o.token_dim = 8;
  o.diffloss.width = 32;
  o.diffloss.depth = 1;
  o.diffloss.num_sampling_steps = "10";
  SetokimModel m(o);
  m->eval();
  return m;
}

// One sample: "<s> 5 <image> 6 7 <target></s>", an input image of 2 tokens and an output of 3.
SequenceBatch batch() {
  llm::TokenizedConversation c;
  c.input_ids = {1, 5, kImage, 6, 7, kSpecials.target, 2};
  c.labels = {kNoLabel, kNoLabel, kNoLabel, kNoLabel, 7, kSpecials.target, 2};
  return collate_sequences({expand_images(c, {2, 3}, kSpecials)}, {0}, 0);
}

TEST(SetokimModel, EmbedsTextSpecialsAndImagePositions) {
  SetokimModel m = tiny_model();
  at::NoGradGuard g;
  const at::Tensor ids =
      at::tensor(std::vector<int64_t>{3, V, V + 1, V + 2}, at::kLong).view({1, 4});
  const at::Tensor e = m->embed_ids(ids)[0];
  EXPECT_TRUE(at::equal(e[0], m->llm->model->embed_tokens->weight[3]));
  for (int64_t k = 0; k < 3; ++k) EXPECT_TRUE(at::equal(e[k + 1], m->special_embed[k]));
  EXPECT_THROW(m->embed_ids(at::tensor(std::vector<int64_t>{V + 3}, at::kLong).view({1, 1})),
               Error);

  const SequenceBatch b = batch();  // positions: 3, 4 input image; 9, 10, 11 output slots
  const at::Tensor tokens = at::randn({2, 3, 8});
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][10] = true;  // slot 1 of the output image is hidden, slots 0 and 2 visible
  const at::Tensor emb = m->embed(b, tokens, hidden)[0];
  const auto proj = [&](int64_t image, int64_t slot) {
    return m->mm_in_projector->forward(tokens[image][slot]);
  };
  EXPECT_TRUE(at::allclose(emb[3], proj(0, 0)));
  EXPECT_TRUE(at::allclose(emb[4], proj(0, 1)));
  EXPECT_TRUE(at::allclose(emb[9], proj(1, 0)));         // visible: the ground-truth token
  EXPECT_TRUE(at::equal(emb[10], m->special_embed[2]));  // hidden: the <target> row
  EXPECT_TRUE(at::allclose(emb[11], proj(1, 2)));
  EXPECT_TRUE(at::equal(emb[2], m->special_embed[0]));  // <im_start>
  EXPECT_TRUE(at::equal(emb[1], m->llm->model->embed_tokens->weight[5]));
}

TEST(SetokimModel, LossesMatchTheirDefinitions) {
  SetokimModel m = tiny_model();
  const SequenceBatch b = batch();
  const at::Tensor tokens = at::randn({2, 3, 8});
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][9] = hidden[0][11] = true;
  auto gen = [] { return at::make_generator<at::CPUGeneratorImpl>(3); };
  const SetokimLosses l = m->forward(b, tokens, hidden, gen());
  // Text: cross-entropy of position t's logits against the label at t + 1, labelled ones only.
  const at::Tensor logits = m->logits(l.hidden)[0];  // [T, V + 3]
  const at::Tensor labels = b.labels[0];
  double ce = 0;
  int64_t n = 0;
  for (int64_t t = 0; t + 1 < labels.size(0); ++t) {
    const int64_t y = labels[t + 1].item<int64_t>();
    if (y == kNoLabel) continue;
    ce += -at::log_softmax(logits[t], 0)[y].item<double>();
    ++n;
  }
  EXPECT_EQ(l.text_tokens, n);
  EXPECT_EQ(n, 7);  // 7, <im_start>, 3 slots, <im_end>, </s>
  EXPECT_NEAR(l.text.item<double>(), ce / n, 1e-5);
  // Diffusion: the hidden slots only, their own position's hidden state as the condition.
  EXPECT_EQ(l.hidden_slots, 2);
  const at::Tensor z = m->mm_out_projector->forward(at::stack({l.hidden[0][9], l.hidden[0][11]}));
  const at::Tensor target = at::stack({tokens[1][0], tokens[1][2]});
  EXPECT_NEAR(l.diffusion.item<double>(), m->diffloss->forward(target, z, {}, gen()).item<double>(),
              1e-5);
  // Per-slot seeds drive each slot's (t, noise) draws: the same seeds give the same loss in any
  // call, and exchanging the two slots' seeds changes it.
  at::Tensor seeds = at::zeros(b.output.sizes(), at::kLong);
  seeds[0][9] = 101;
  seeds[0][11] = 202;
  const double seeded = m->forward(b, tokens, hidden, std::nullopt, seeds).diffusion.item<double>();
  EXPECT_EQ(seeded, m->forward(b, tokens, hidden, std::nullopt, seeds).diffusion.item<double>());
  at::Tensor swapped_seeds = seeds.clone();
  swapped_seeds[0][9] = 202;
  swapped_seeds[0][11] = 101;
  EXPECT_NE(m->forward(b, tokens, hidden, std::nullopt, swapped_seeds).diffusion.item<double>(),
            seeded);  // the draws moved to the other slot
  // No hidden slot: no diffusion loss, no gradient into the head.
  const SetokimLosses none = m->forward(b, tokens, at::zeros_like(b.output), gen());
  EXPECT_EQ(none.hidden_slots, 0);
  EXPECT_EQ(none.diffusion.item<double>(), 0.0);
}

// A frozen base stays bitwise frozen: the special rows, projectors and head train on their own.
TEST(SetokimModel, TheSpecialRowsTrainApartFromAFrozenBase) {
  SetokimModel m = tiny_model();
  m->train();
  for (auto& p : m->llm->parameters()) p.requires_grad_(false);
  const SequenceBatch b = batch();
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][10] = true;
  const SetokimLosses l = m->forward(b, at::randn({2, 3, 8}), hidden);
  (l.text + l.diffusion).backward();
  for (const auto& p : m->llm->parameters()) EXPECT_FALSE(p.grad().defined());
  ASSERT_TRUE(m->special_embed.grad().defined());
  ASSERT_TRUE(m->special_head.grad().defined());
  EXPECT_GT(m->special_embed.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(m->special_head.grad().abs().sum().item<double>(), 0.0);
  for (auto* proj : {&m->mm_in_projector, &m->mm_out_projector}) {
    for (const auto& p : (*proj)->parameters()) EXPECT_TRUE(p.grad().defined());
  }
  // Names a stage-2 result is saved under and stage 3 loads.
  std::set<std::string> names;
  for (const auto& item : m->named_parameters()) names.insert(item.key());
  for (const char* n :
       {"special_embed", "special_head", "mm_in_projector.0.weight", "mm_in_projector.2.weight",
        "mm_out_projector.0.bias", "llm.lm_head.weight"})
    EXPECT_TRUE(names.count(n)) << n;
}

}  // namespace
}  // namespace setok::mllm
