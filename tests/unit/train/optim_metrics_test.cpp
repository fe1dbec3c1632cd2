// AdamW against LibTorch's, the schedule, and the evaluation statistics.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>

#include "errors.h"
#include "setok/io/safetensors.h"
#include "setok/io/tensor_store.h"
#include "setok/train/adamw.h"
#include "setok/train/ema.h"
#include "setok/train/metrics.h"
#include "setok/train/schedule.h"
#include "temp_dir.h"

namespace setok::train {
namespace {

TEST(AdamW, MatchesLibTorchAdamW) {
  at::manual_seed(0);
  const at::Tensor init = at::randn({5, 3});
  at::Tensor a = init.clone().requires_grad_(), b = init.clone().requires_grad_();
  AdamWOptions o;
  o.beta1 = 0.8;
  o.beta2 = 0.95;
  o.eps = 1e-6;
  AdamW ours({ParamGroup{"decay", {"w"}, {a}, 1.0, 0.1}}, o);
  torch::optim::AdamW ref(
      {b}, torch::optim::AdamWOptions(0.01).betas({0.8, 0.95}).eps(1e-6).weight_decay(0.1));
  for (int step = 0; step < 5; ++step) {
    const at::Tensor x = at::randn({4, 5});
    (at::matmul(x, a).pow(2).sum()).backward();
    (at::matmul(x, b).pow(2).sum()).backward();
    ours.step(0.01);
    ref.step();
    ours.zero_grad();
    ref.zero_grad();
  }
  EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-6)) << (a - b).abs().max().item<float>();
}

TEST(AdamW, StateRoundTripsByName) {
  test::TempDir dir;
  at::Tensor p = at::ones({3}).requires_grad_();
  AdamW a({ParamGroup{"g", {"layer.w"}, {p}, 1.0, 0.0}}, {});
  (p * 2).sum().backward();
  a.step(0.1);
  io::save_safetensors(dir / "opt.safetensors", a.state("opt."));
  at::Tensor q = at::ones({3}).requires_grad_();
  AdamW b({ParamGroup{"g", {"layer.w"}, {q}, 1.0, 0.0}}, {});
  b.load_state(io::TensorStore::open(dir / "opt.safetensors"), "opt.");
  EXPECT_EQ(b.steps(), 1);
  EXPECT_TRUE(at::equal(b.state()[1].second, a.state()[1].second));
  AdamW c({ParamGroup{"g", {"other.w"}, {q}, 1.0, 0.0}}, {});
  EXPECT_NE(test::error_of([&] {
              c.load_state(io::TensorStore::open(dir / "opt.safetensors"), "opt.");
            }).find("lacks 'opt.other.w.exp_avg'"),
            std::string::npos);
}

TEST(AdamW, DecayGroupsSplitMatricesFromTheRest) {
  const auto groups =
      decay_groups({{"fc.weight", at::zeros({2, 2}).requires_grad_()},
                    {"fc.bias", at::zeros({2}).requires_grad_()},
                    {"embeddings.position_embedding.weight", at::zeros({4, 2}).requires_grad_()},
                    {"frozen.weight", at::zeros({2, 2})}},
                   0.05);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].names, std::vector<std::string>{"fc.weight"});
  EXPECT_DOUBLE_EQ(groups[0].weight_decay, 0.05);
  EXPECT_EQ(groups[1].names.size(), 2u);  // bias and embedding; the frozen one is left out
  EXPECT_DOUBLE_EQ(groups[1].weight_decay, 0.0);
}

TEST(Schedule, WarmupThenCosine) {
  LrSchedule s{1.0, 0.1, 10, 110, "cosine"};
  EXPECT_DOUBLE_EQ(s.at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.at(9), 1.0);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(60), 0.55, 1e-12);  // half way: (1 + 0.1) / 2
  EXPECT_NEAR(s.at(110), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ((LrSchedule{1.0, 0.0, 0, 10, "constant"}).at(7), 1.0);
  EXPECT_THROW((LrSchedule{1.0, 0.0, 0, 10, "step"}).at(3), Error);
}

TEST(EvalMetrics, AdjustedRandIndex) {
  const at::Tensor a = at::tensor({0, 0, 1, 1, 2, 2});
  EXPECT_DOUBLE_EQ(adjusted_rand_index(a, a), 1.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(a, at::tensor({5, 5, 3, 3, 9, 9})), 1.0);  // relabelled
  // sklearn's example: ARI([0,0,1,1], [0,0,1,2]) = 0.5714...
  EXPECT_NEAR(adjusted_rand_index(at::tensor({0, 0, 1, 1}), at::tensor({0, 0, 1, 2})), 0.5714285714,
              1e-9);
  // Everything in one cluster against a split: 0.
  EXPECT_NEAR(adjusted_rand_index(at::tensor({0, 0, 0, 0}), at::tensor({0, 0, 1, 1})), 0.0, 1e-12);
  EXPECT_THROW(adjusted_rand_index(at::tensor({0, 1}), at::tensor({0})), Error);
}

TEST(EvalMetrics, PearsonAndMaskPatches) {
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {2, 4, 6, 8}), 1.0, 1e-12);
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {8, 6, 4, 2}), -1.0, 1e-12);
  EXPECT_DOUBLE_EQ(pearson({1, 1, 1}, {1, 2, 3}), 0.0);
  at::Tensor mask = at::zeros({8, 8}, at::kLong);
  mask.narrow(0, 0, 4).narrow(1, 4, 4).fill_(3);        // top-right quadrant: object 3
  mask[0][0] = 7;                                       // a minority pixel in patch 0
  const at::Tensor patches = mask_to_patches(mask, 2);  // 2 x 2 grid of 4 x 4 patches
  EXPECT_TRUE(at::equal(patches, at::tensor({0, 3, 0, 0})));
  EXPECT_EQ(mask_to_patches(at::zeros({6, 6}, at::kLong), 4).numel(), 16);  // resized to the grid
}

}  // namespace
}  // namespace setok::train

namespace setok::train {
namespace {

TEST(Ema, AveragesAppliesAndRestores) {
  torch::nn::Linear lin(2, 1);
  {
    at::NoGradGuard g;
    lin->weight.fill_(1.0);
    lin->bias.fill_(0.0);
  }
  lin->bias.set_requires_grad(false);  // frozen parameters are not tracked
  Ema ema(*lin, 0.5);
  EXPECT_EQ(ema.size(), 1u);
  {
    at::NoGradGuard g;
    lin->weight.fill_(3.0);
  }
  ema.update();  // 0.5 * 1 + 0.5 * 3 = 2
  {
    at::NoGradGuard g;
    lin->weight.fill_(5.0);
  }
  ema.update();  // 0.5 * 2 + 0.5 * 5 = 3.5
  EXPECT_FLOAT_EQ(ema.state()[0].second[0][0].item<float>(), 3.5f);
  EXPECT_EQ(ema.state()[0].first, "ema.weight");
  {
    EmaSwap swap(&ema);
    EXPECT_FLOAT_EQ(lin->weight[0][1].item<float>(), 3.5f);
  }
  EXPECT_FLOAT_EQ(lin->weight[0][1].item<float>(), 5.0f);
  EXPECT_THROW(Ema(*lin, 1.0), Error);
}

}  // namespace
}  // namespace setok::train
