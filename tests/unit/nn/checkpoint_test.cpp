// Activation checkpointing: gradients (parameters and input) equal an ordinary backward,
// dropout included (the RNG state is replayed), also when the input needs no gradient; and the
// LLaMA and generic transformer stacks give the same gradients with it on.
#include "setok/nn/checkpoint.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include "llm_fixtures.h"
#include "setok/llm/llama_model.h"
#include "setok/nn/transformer.h"

namespace setok::nn {
namespace {

std::vector<at::Tensor> grads_of(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> out;
  for (const auto& p : params) out.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
  return out;
}

void expect_same(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(a[i].defined() && b[i].defined()) << "gradient " << i;
    EXPECT_LT((a[i] - b[i]).abs().max().item<double>(), tol) << "gradient " << i;
  }
}

TEST(ActivationCheckpoint, SameGradientsWithDropout) {
  at::manual_seed(0);
  torch::nn::Linear lin(8, 8);
  const at::Tensor x0 = at::randn({4, 8});
  auto fn = [lin](const at::Tensor& x) mutable {
    return at::dropout(lin->forward(x).tanh(), 0.5, /*train=*/true) * 2;
  };
  auto run = [&](bool ckpt, bool input_grad) {
    lin->zero_grad();
    at::Tensor x = x0.clone().requires_grad_(input_grad);
    at::manual_seed(42);
    at::Tensor y = ckpt ? checkpoint(fn, x) : fn(x);
    // Draw again after the block: the replay must not disturb the RNG stream either.
    (y.pow(2).sum() + at::rand({1}).sum() * 0).backward();
    std::vector<at::Tensor> g = grads_of(lin->parameters());
    if (input_grad) g.push_back(x.grad().clone());
    g.push_back(at::rand({3}));  // the RNG state after backward
    return g;
  };
  expect_same(run(true, true), run(false, true), 1e-7);
  // No gradient wanted for the input: the parameters still get theirs.
  expect_same(run(true, false), run(false, false), 1e-7);
  // And checkpointing with dropout really depends on the replayed mask: a different seed differs.
  const auto a = run(true, true);
  lin->zero_grad();
  at::Tensor x = x0.clone().requires_grad_(true);
  at::manual_seed(7);
  checkpoint(fn, x).pow(2).sum().backward();
  EXPECT_GT((lin->weight.grad() - a[0]).abs().max().item<double>(), 1e-4);
}

TEST(ActivationCheckpoint, LlamaAndTransformerStacksMatch) {
  at::manual_seed(1);
  llm::LlamaForCausalLM model(test::tiny_llama());
  model->train();
  const at::Tensor ids = at::randint(96, {2, 9}, at::kLong);
  auto llama_grads = [&](bool on) {
    model->model->set_gradient_checkpointing(on);
    model->zero_grad();
    const at::Tensor logits = model->forward(ids.narrow(1, 0, 8));
    at::cross_entropy_loss(logits.reshape({16, -1}), ids.narrow(1, 1, 8).reshape({16})).backward();
    return grads_of(model->parameters());
  };
  expect_same(llama_grads(true), llama_grads(false), 1e-6);

  TransformerOptions o;
  o.dim = 16;
  o.heads = 2;
  o.mlp_hidden = 32;
  o.dropout = 0.2;
  o.attn_dropout = 0.1;
  Transformer stack(o, 3);
  stack->train();
  const at::Tensor x0 = at::randn({2, 5, 16});
  auto stack_grads = [&](bool on) {
    stack->set_activation_checkpointing(on);
    stack->zero_grad();
    at::Tensor x = x0.clone().requires_grad_(true);
    at::manual_seed(5);
    stack->forward(x).sum().backward();
    auto g = grads_of(stack->parameters());
    g.push_back(x.grad().clone());
    return g;
  };
  expect_same(stack_grads(true), stack_grads(false), 1e-6);
}

}  // namespace
}  // namespace setok::nn
