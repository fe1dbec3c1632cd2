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
#include "setok/train/concept_metrics.h"
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

// fp32 master weights over a 16-bit parameter: 100 updates of 1e-4 each are below bf16's
// resolution at 1.0 (2^-7 = 0.0078) one by one, but accumulate in the float32 master and move
// the bf16 weight; moments are float32; the master is part of the state and round-trips.
TEST(AdamW, MasterWeightsAccumulateUpdatesBelowBf16Resolution) {
  at::Tensor p = at::ones({3}, at::kBFloat16).requires_grad_(true);
  AdamW opt({{"g", {"p"}, {p}, 1.0, 0.0}}, {});
  for (int i = 0; i < 100; ++i) {
    p.mutable_grad() = at::ones({3}, at::kBFloat16);
    opt.step(1e-4);
  }
  EXPECT_EQ(p.scalar_type(), at::kBFloat16);
  EXPECT_LT(p.to(at::kFloat).max().item<float>(), 1.0f);  // moved by about 0.01
  const io::NamedTensors state = opt.state();
  std::map<std::string, at::Tensor> by_name(state.begin(), state.end());
  ASSERT_TRUE(by_name.count("p.master"));
  EXPECT_NEAR(by_name.at("p.master")[0].item<float>(), 0.99, 1e-3);
  EXPECT_EQ(by_name.at("p.exp_avg").scalar_type(), at::kFloat);
  // Without the master (the same arithmetic straight in bf16) nothing would move at all.
  at::Tensor q = at::ones({3}, at::kBFloat16);
  for (int i = 0; i < 100; ++i) q.sub_(1e-4);
  EXPECT_EQ(q.to(at::kFloat).max().item<float>(), 1.0f);
  // Round trip: a fresh optimizer restores the master and writes it into the parameter.
  test::TempDir dir;
  io::save_safetensors(dir / "opt.safetensors", state);
  at::Tensor p2 = at::ones({3}, at::kBFloat16).requires_grad_(true);
  AdamW opt2({{"g", {"p"}, {p2}, 1.0, 0.0}}, {});
  opt2.load_state(io::TensorStore::open(dir / "opt.safetensors"));
  EXPECT_TRUE(at::equal(p2, p));
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

TEST(EvalMetrics, PearsonAndPatchOwners) {
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {2, 4, 6, 8}), 1.0, 1e-12);
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {8, 6, 4, 2}), -1.0, 1e-12);
  EXPECT_DOUBLE_EQ(pearson({1, 1, 1}, {1, 2, 3}), 0.0);
  at::Tensor mask = at::zeros({8, 8}, at::kLong);
  mask.narrow(0, 0, 4).narrow(1, 4, 4).fill_(3);   // top-right quadrant: object 3
  mask[0][0] = 7;                                  // a minority pixel in patch 0
  mask.narrow(0, 4, 4).narrow(1, 4, 4).fill_(-1);  // bottom-right: ignore (letterbox padding)
  // An 8 x 8 map over a 16-pixel input of 8-pixel patches: a 2 x 2 grid.
  EXPECT_TRUE(at::equal(patch_owners(mask, 16, 8, 8), at::tensor({0, 3, 0, -1})));
  EXPECT_THROW(patch_owners(mask, 16, 8, 5), Error);  // label 7 >= 5
}

// Pixels map to patches proportionally, whatever the map's size; the strip a flooring patch
// convolution drops (10 / 3 -> 3 patches of 3, pixel 9 unseen) has no patch.
TEST(EvalMetrics, PixelPatches) {
  const at::Tensor p = pixel_patches(10, 10, 10, 3).view({10, 10});
  EXPECT_EQ(p[0][0].item<int64_t>(), 0);
  EXPECT_EQ(p[0][3].item<int64_t>(), 1);
  EXPECT_EQ(p[4][7].item<int64_t>(), 1 * 3 + 2);
  EXPECT_EQ(p[9][0].item<int64_t>(), -1);
  EXPECT_EQ(p[0][9].item<int64_t>(), -1);
  // A 4 x 8 map over an 8-pixel input of 4-pixel patches: each map row covers 2 input rows.
  const at::Tensor q = pixel_patches(4, 8, 8, 4).view({4, 8});
  EXPECT_TRUE(at::equal(q[1], at::tensor({0, 0, 0, 0, 1, 1, 1, 1}, at::kLong)));
  EXPECT_TRUE(at::equal(q[2], at::tensor({2, 2, 2, 2, 3, 3, 3, 3}, at::kLong)));
}

// Foreground ARI on a hand-made map: background and ignored pixels never count.
TEST(EvalMetrics, ForegroundAriOnHandMadeMaps) {
  // 4 x 4 map = 4 x 4 patches of 1 pixel: object 1 = left column pair, object 2 = right pair.
  at::Tensor labels = at::zeros({4, 4}, at::kLong);
  labels.narrow(0, 0, 2).narrow(1, 0, 2).fill_(1);  // 4 pixels
  labels.narrow(0, 0, 2).narrow(1, 2, 2).fill_(2);  // 4 pixels
  labels.narrow(0, 3, 1).fill_(-1);                 // bottom row ignored
  at::Tensor assignment = at::full({4, 4}, 5, at::kLong);
  assignment.narrow(0, 0, 2).narrow(1, 0, 2).fill_(0);  // object 1 whole in cluster 0
  assignment.narrow(0, 0, 1).narrow(1, 2, 2).fill_(1);  // object 2 split between 1 and 2
  assignment.narrow(0, 1, 1).narrow(1, 2, 2).fill_(2);
  const at::Tensor pc = pixel_clusters(labels, assignment.reshape(-1), 4, 1);
  // Contingency [[4, 0, 0], [0, 2, 2]]: index 8, rows 12, columns 8, pairs 28:
  // (8 - 12 * 8 / 28) / ((12 + 8) / 2 - 12 * 8 / 28) = 0.695652...
  EXPECT_NEAR(foreground_ari(labels, pc), (8 - 96.0 / 28) / (10 - 96.0 / 28), 1e-12);
  // Whatever the background does (one cluster with object 1, or many), the score is the same.
  at::Tensor other = assignment.clone();
  other.narrow(0, 2, 2).copy_(at::arange(8, at::kLong).view({2, 4}));
  other[2][0] = 0;
  EXPECT_DOUBLE_EQ(foreground_ari(labels, pixel_clusters(labels, other.reshape(-1), 4, 1)),
                   foreground_ari(labels, pc));
  // ...while the background-inclusive ARI notices.
  EXPECT_NE(pixel_ari(labels, pixel_clusters(labels, other.reshape(-1), 4, 1)),
            pixel_ari(labels, pc));
  // Perfect object clusters: 1; an image without foreground: undefined (NaN, left out).
  at::Tensor perfect = at::full({4, 4}, 3, at::kLong);
  perfect.narrow(0, 0, 2).narrow(1, 0, 2).fill_(0);
  perfect.narrow(0, 0, 2).narrow(1, 2, 2).fill_(1);
  EXPECT_DOUBLE_EQ(foreground_ari(labels, pixel_clusters(labels, perfect.reshape(-1), 4, 1)), 1.0);
  const at::Tensor empty = at::zeros({4, 4}, at::kLong);
  EXPECT_TRUE(std::isnan(foreground_ari(empty, pixel_clusters(empty, perfect.reshape(-1), 4, 1))));
}

// Grounding on a constructed image: phrase p <-> instance p + 1; the target is the cluster
// overlapping the instance most; an instance owning no patch is skipped.
TEST(EvalMetrics, GroundingOnAConstructedCase) {
  // 4 x 4 pixels, 2 x 2 patches of 2 pixels. Instance 1 fills patch 0 and a pixel of patch 1;
  // instance 2 is one pixel of patch 3 (owns no patch); instance 3 fills patch 2.
  at::Tensor labels = at::zeros({4, 4}, at::kLong);
  labels.narrow(0, 0, 2).narrow(1, 0, 2).fill_(1);
  labels[0][2] = 1;
  labels[3][3] = 2;
  labels.narrow(0, 2, 2).narrow(1, 0, 2).fill_(3);
  const at::Tensor assignment = at::tensor({1, 0, 2, 0}, at::kLong);  // patches -> clusters
  const at::Tensor pc = pixel_clusters(labels, assignment, 4, 2);
  const at::Tensor owners = patch_owners(labels, 4, 2, 4);
  EXPECT_TRUE(at::equal(owners, at::tensor({1, 0, 3, 0}, at::kLong)));
  const at::Tensor targets = grounding_targets(labels, pc, owners, 3, 3);
  EXPECT_TRUE(at::equal(targets, at::tensor({1, -1, 2}, at::kLong)));

  // Scores: token embeddings e0, e1, e2; phrase 0 closest to token 1 (a hit), phrase 2 closest
  // to token 0 (a miss), phrase 1 skipped. A second image holds phrase 0's text too.
  const at::Tensor e = at::eye(3);
  ImageConcepts a;
  a.tokens = e;
  a.phrases = at::stack({e[1], e[0], e[0] * 0.9 + e[2] * 0.1});
  a.phrase_ids = {10, 11, 12};
  a.targets = targets;
  ImageConcepts b;
  b.tokens = at::stack({e[2] * 0.9});  // below a's token 2: no tie in retrieval
  b.phrases = at::stack({e[2]});
  b.phrase_ids = {10};
  b.targets = at::tensor({0}, at::kLong);
  const ConceptScores s = concept_scores({a, b});
  EXPECT_EQ(s.grounded, 3);  // 2 of image a, 1 of image b
  EXPECT_EQ(s.grounding_skipped, 1);
  EXPECT_DOUBLE_EQ(s.grounding_accuracy, 2.0 / 3);  // a's phrase 0 and b's phrase
  EXPECT_DOUBLE_EQ(s.grounding_chance, (1.0 / 3 + 1.0 / 3 + 1.0) / 3);
  // Retrieval: a.0 (e1) -> a (hit); a.1 (e0) -> a (hit); a.2 -> a (hit); b.0 (e2, text 10) ->
  // a (1 against 0.9), which holds text 10 too: a hit. Chance: text 10 is in both images, the
  // others in one of two.
  EXPECT_EQ(s.phrases, 4);
  EXPECT_DOUBLE_EQ(s.retrieval_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(s.retrieval_chance, (1.0 + 0.5 + 0.5 + 1.0) / 4);
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
