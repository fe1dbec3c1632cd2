#include "setok/tokenizer/setok_tokenizer.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "fixtures.h"
#include "setok/io/checkpoint.h"
#include "setok/io/safetensors.h"
#include "setok/io/state_dict.h"
#include "setok/runtime/seed.h"
#include "temp_dir.h"

namespace setok::tokenizer {
namespace {

using test::error_of;

vision::VisionConfig tiny_vision(bool trainable) {
  vision::VisionConfig v;
  v.image_size = 32;
  v.patch_size = 4;  // 8 x 8 = 64 patches
  v.hidden_size = 32;
  v.intermediate_size = 48;
  v.layers = 2;
  v.heads = 4;
  v.trainable = trainable;
  return v;
}

TokenizerConfig tiny_tokenizer() {
  TokenizerConfig t;
  t.k = 4;
  t.threshold = 0.2;
  t.heads = 4;
  t.mlp_ratio = 2.0;
  t.inner_depth = 1;
  t.inter_depth = 1;
  t.out_dim = 24;
  return t;
}

// Images of flat colour quadrants: clusters should not straddle very different colours.
at::Tensor quadrant_images(int64_t B) {
  at::manual_seed(3);
  at::Tensor px = at::zeros({B, 3, 32, 32});
  for (int64_t b = 0; b < B; ++b) {
    for (int q = 0; q < 4; ++q) {
      px[b].narrow(1, (q / 2) * 16, 16).narrow(2, (q % 2) * 16, 16) += at::randn({3, 1, 1}) * 2;
    }
  }
  return px;
}

TEST(SetokTokenizer, ShapesMasksAndCounts) {
  runtime::seed_all(0);
  SetokTokenizer tok(tiny_vision(false), tiny_tokenizer());
  tok->eval();
  const SetokTokens out = tok->forward(quadrant_images(3));
  const int64_t L = out.clusters.counts.max().item<int64_t>();
  EXPECT_EQ(out.tokens.sizes(), (std::vector<int64_t>{3, L, 24}));
  EXPECT_EQ(out.grid_h, 8);
  EXPECT_EQ(out.clusters.assignment.sizes(), (std::vector<int64_t>{3, 64}));
  EXPECT_TRUE(at::equal(out.mask.sum(1), out.clusters.counts));
  EXPECT_EQ(tok->token_dim(), 24);
}

TEST(SetokTokenizer, BatchedAndLoopModesAgree) {
  runtime::seed_all(0);
  TokenizerConfig t = tiny_tokenizer();
  t.tie_noise = false;  // both calls must cluster identically
  SetokTokenizer tok(tiny_vision(false), t);
  tok->eval();
  const at::Tensor px = quadrant_images(2);
  const SetokTokens a = tok->forward(px);
  tok->set_merge_mode(MergeMode::kLoop);
  const SetokTokens b = tok->forward(px);
  EXPECT_TRUE(at::equal(a.clusters.assignment, b.clusters.assignment));
  EXPECT_LE((a.tokens - b.tokens).abs().max().item<double>(), 1e-5);
}

TEST(SetokTokenizer, FrozenTowerGetsNoGradientsMergerDoes) {
  runtime::seed_all(1);
  SetokTokenizer tok(tiny_vision(false), tiny_tokenizer());
  tok->forward(quadrant_images(2)).tokens.sum().backward();
  for (const auto& p : tok->vision_tower->parameters()) {
    EXPECT_FALSE(p.requires_grad());
    EXPECT_FALSE(p.grad().defined());
  }
  for (const auto& p : tok->merger->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
  EXPECT_GT(tok->merger->out->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(SetokTokenizer, TrainableTowerGetsGradients) {
  runtime::seed_all(2);
  SetokTokenizer tok(tiny_vision(true), tiny_tokenizer());
  tok->forward(quadrant_images(2)).tokens.pow(2).sum().backward();
  const at::Tensor g = tok->vision_tower->embeddings->patch_embedding->weight.grad();
  ASSERT_TRUE(g.defined());
  EXPECT_GT(g.abs().sum().item<double>(), 0.0);
}

TEST(SetokTokenizer, ClusteringPassesNoGradient) {
  // The feature gradient through the tokenizer equals the gradient through the merger alone
  // with the clustering held fixed: nothing flows through distances, densities or scores.
  runtime::seed_all(3);
  TokenizerConfig t = tiny_tokenizer();
  t.tie_noise = false;
  t.position_encoding = false;
  SetokTokenizer tok(tiny_vision(false), t);
  tok->eval();
  const at::Tensor feats = at::randn({2, 64, 32});
  at::Tensor f1 = feats.clone().requires_grad_();
  const SetokTokens out = tok->forward_features(f1, 8, 8);
  out.tokens.pow(2).sum().backward();
  at::Tensor f2 = feats.clone().requires_grad_();
  tok->merger->forward(f2, out.clusters.assignment, out.clusters.counts)
      .tokens.pow(2)
      .sum()
      .backward();
  EXPECT_TRUE(at::allclose(f1.grad(), f2.grad(), 1e-6, 1e-7));
  EXPECT_FALSE(out.clusters.scores.requires_grad());
}

// Letterbox padding (a token mask from preprocessing) never reaches a token: changing the
// masked patches' pixels changes nothing, and their assignment is -1.
TEST(SetokTokenizer, MaskedPatchesNeverReachTokens) {
  runtime::seed_all(0);
  SetokTokenizer tok(tiny_vision(false), tiny_tokenizer());
  tok->eval();
  at::Tensor px = quadrant_images(2);
  at::Tensor mask = at::ones({2, 64}, at::kBool);
  mask[0].view({8, 8}).narrow(0, 0, 2).fill_(false);  // image 0: top two patch rows padded
  // The tower mixes every patch through attention, so compare on fixed features instead.
  const at::Tensor features = tok->encode(px);
  const SetokTokens a = tok->forward_features(features, 8, 8, mask);
  at::Tensor changed = features.clone();
  changed[0].narrow(0, 0, 16).normal_(0.0, 50.0);
  const SetokTokens b = tok->forward_features(changed, 8, 8, mask);
  EXPECT_TRUE(at::allclose(a.tokens, b.tokens, 1e-5, 1e-6));
  EXPECT_TRUE(at::equal(a.clusters.assignment, b.clusters.assignment));
  EXPECT_TRUE((a.clusters.assignment[0].narrow(0, 0, 16) == -1).all().item<bool>());
  EXPECT_TRUE((a.clusters.assignment[1] >= 0).all().item<bool>());
  // The loop mode agrees with masks too.
  tok->set_merge_mode(MergeMode::kLoop);
  const SetokTokens loop = tok->forward_features(features, 8, 8, mask);
  tok->set_merge_mode(MergeMode::kBatched);
  EXPECT_TRUE(at::allclose(a.tokens, loop.tokens, 1e-4, 1e-5));
}

// The position-encoding cache is keyed on the grid, not the token count: a 2 x 8 grid and a
// 4 x 4 grid both have 16 tokens but different encodings.
TEST(SetokTokenizer, PositionCacheFollowsTheGrid) {
  TokenizerConfig t = tiny_tokenizer();
  t.tie_noise = false;
  runtime::seed_all(0);
  SetokTokenizer warm(tiny_vision(false), t);
  runtime::seed_all(0);
  SetokTokenizer fresh(tiny_vision(false), t);  // the same weights
  warm->eval();
  fresh->eval();
  const at::Tensor features = at::randn({1, 16, 32});
  warm->forward_features(features, 2, 8);  // fills the cache for 2 x 8
  const SetokTokens got = warm->forward_features(features, 4, 4);
  const SetokTokens want = fresh->forward_features(features, 4, 4);
  EXPECT_TRUE(at::equal(got.clusters.assignment, want.clusters.assignment));
  EXPECT_TRUE(at::allclose(got.tokens, want.tokens));
}

TEST(SetokTokenizer, BadInputsAreErrors) {
  runtime::seed_all(4);
  SetokTokenizer tok(tiny_vision(false), tiny_tokenizer());
  EXPECT_NE(error_of([&] {
              tok->forward(at::randn({1, 1, 32, 32}));
            }).find("[B, 3, 32, 32]"),
            std::string::npos);
  EXPECT_THROW(tok->forward(at::randn({1, 3, 64, 64})), Error);
  at::Tensor nan = at::randn({1, 3, 32, 32});
  nan[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { tok->forward(nan); }).find("NaN or infinity"), std::string::npos);
  EXPECT_THROW(tok->forward_features(at::randn({1, 60, 32}), 8, 8), Error);
  TokenizerConfig bad = tiny_tokenizer();
  bad.heads = 5;
  EXPECT_NE(error_of([&] {
              SetokTokenizer(tiny_vision(false), bad);
            }).find("model.tokenizer.heads: 5 does not divide the vision feature width 32"),
            std::string::npos);
}

TEST(SetokTokenizer, LoadsPretrainedTower) {
  runtime::seed_all(5);
  vision::VisionConfig v;
  v.pretrained = (test::fixtures_dir() / "siglip_tiny").string();
  TokenizerConfig t = tiny_tokenizer();
  t.heads = 4;
  SetokTokenizer tok(v, t);
  EXPECT_EQ(tok->feature_dim(), 48);
  EXPECT_EQ(v.preprocess().size, 32);
  tok->eval();
  const SetokTokens out = tok->forward(at::randn({2, 3, 32, 32}));
  EXPECT_EQ(out.clusters.assignment.size(1), 16);  // 4 x 4 patches of 8
}

}  // namespace
}  // namespace setok::tokenizer

namespace setok::tokenizer {
namespace {

TEST(SetokTokenizerWeights, LoadsFullAndTokenizerOnlyStates) {
  test::TempDir dir;
  runtime::seed_all(6);
  SetokTokenizer a(tiny_vision(false), tiny_tokenizer());
  SetokTokenizer b(tiny_vision(false), tiny_tokenizer());
  // A full SeTok state: tokenizer.* plus other parts that must be ignored.
  io::NamedTensors full;
  for (auto& [name, t] : io::module_state(*a)) full.emplace_back("tokenizer." + name, t);
  full.emplace_back("detokenizer.head.weight", at::zeros({2, 2}));
  io::save_safetensors(dir / "full.safetensors", full);
  load_tokenizer_weights(*b, dir / "full.safetensors");
  EXPECT_TRUE(at::equal(a->merger->out->weight, b->merger->out->weight));
  // A tokenizer-only state, reached through a run folder's latest checkpoint.
  SetokTokenizer c(tiny_vision(false), tiny_tokenizer());
  io::CheckpointDir ckpt(dir / "run" / "checkpoints");
  ckpt.save(3,
            [&](const std::filesystem::path& f) { io::save_state(*a, f / "model.safetensors"); });
  load_tokenizer_weights(*c, dir / "run");
  EXPECT_TRUE(at::equal(a->vision_tower->embeddings->patch_embedding->weight,
                        c->vision_tower->embeddings->patch_embedding->weight));
  // A state of another shape is a strict error naming the key.
  TokenizerConfig wider = tiny_tokenizer();
  wider.out_dim = 32;
  SetokTokenizer d(tiny_vision(false), wider);
  EXPECT_NE(error_of([&] {
              load_tokenizer_weights(*d, dir / "full.safetensors");
            }).find("shape mismatch: merger.out.weight"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::tokenizer
