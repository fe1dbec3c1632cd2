// Fixed-grid tokens: cell assignment by hand on small grids (divisible and not), masked patches
// and dropped cells, centres; the tokenizer in fixed mode gives grid^2 tokens through the same
// merger; bad grids are errors.
#include "setok/tokenizer/fixed_grid.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "errors.h"
#include "setok/runtime/seed.h"
#include "setok/tokenizer/setok_tokenizer.h"

namespace setok::tokenizer {
namespace {

using test::error_of;

std::vector<int64_t> row(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(FixedGrid, CellsByHand) {
  // 4 x 4 patches, 2 x 2 cells: quadrants.
  Clusters c = fixed_grid_clusters(2, 4, 4, 2, {}, at::kCPU);
  EXPECT_EQ(row(c.assignment[1]),
            (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}));
  EXPECT_EQ(row(c.counts), (std::vector<int64_t>{4, 4}));
  // Middle member in raster order: cell 0 = {0, 1, 4, 5} -> 4; cell 3 = {10, 11, 14, 15} -> 14.
  EXPECT_EQ(row(c.centres[0]), (std::vector<int64_t>{4, 6, 12, 14}));
  EXPECT_TRUE(c.centre_mask.all().item<bool>());
  EXPECT_TRUE(c.scores.eq(0).all().item<bool>());
  // 4 x 4 patches, 3 x 3 cells: floor(y * 3 / 4) = 0, 0, 1, 2 per row and column.
  c = fixed_grid_clusters(1, 4, 4, 3, {}, at::kCPU);
  EXPECT_EQ(row(c.assignment[0]),
            (std::vector<int64_t>{0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8}));
  EXPECT_EQ(c.counts[0].item<int64_t>(), 9);
  // g = 1: one token of everything.
  EXPECT_TRUE(fixed_grid_clusters(1, 4, 4, 1, {}, at::kCPU).assignment.eq(0).all().item<bool>());
}

TEST(FixedGrid, MaskedPatchesAndEmptyCells) {
  // Image 0: the top half masked (letterbox): cells 0 and 1 are empty, 2 and 3 become 0 and 1.
  at::Tensor mask = at::ones({2, 16}, at::kBool);
  mask[0].narrow(0, 0, 8).fill_(false);
  mask[1][5] = false;  // image 1: one patch of cell 0 masked
  const Clusters c = fixed_grid_clusters(2, 4, 4, 2, mask, at::kCPU);
  EXPECT_EQ(row(c.counts), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(row(c.assignment[0]),
            (std::vector<int64_t>{-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(c.assignment[1][5].item<int64_t>(), -1);
  EXPECT_EQ(c.scores[1][5].item<float>(), -1.0f);
  EXPECT_EQ(row(c.centre_mask[0]), (std::vector<int64_t>{1, 1, 0, 0}));
  EXPECT_EQ(c.centres[1][0].item<int64_t>(), 1);  // {0, 1, 4} -> the middle one
  EXPECT_NE(error_of([] {
              fixed_grid_clusters(1, 4, 4, 5, {}, at::kCPU);
            }).find("grid 5 must be in [1, 4]"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              fixed_grid_clusters(1, 4, 4, 2, at::zeros({1, 16}, at::kBool), at::kCPU);
            }).find("image 0 has no content"),
            std::string::npos);
}

TEST(FixedGrid, TokenizerInFixedMode) {
  runtime::seed_all(0);
  vision::VisionConfig v;
  v.image_size = 32;
  v.patch_size = 4;  // 8 x 8 patches
  v.hidden_size = 32;
  v.intermediate_size = 48;
  v.layers = 1;
  v.heads = 4;
  TokenizerConfig t;
  t.heads = 4;
  t.inner_depth = 1;
  t.inter_depth = 1;
  t.mode = "fixed";
  t.grid = 2;
  SetokTokenizer tok(v, t);
  tok->eval();
  at::NoGradGuard no_grad;
  const SetokTokens out = tok->forward(at::randn({3, 3, 32, 32}));
  EXPECT_EQ(row(out.clusters.counts), (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(out.tokens.sizes(), (at::IntArrayRef{3, 4, tok->token_dim()}));
  EXPECT_TRUE(out.mask.all().item<bool>());
  // Patch (y, x) of the 8 x 8 grid is in cell (y / 4, x / 4).
  EXPECT_EQ(out.clusters.assignment[0][8 * 5 + 6].item<int64_t>(), 3);
  TokenizerConfig bad = t;
  bad.grid = 9;
  SetokTokenizer too_fine(v, bad);
  EXPECT_NE(error_of([&] {
              too_fine->forward(at::randn({1, 3, 32, 32}));
            }).find("grid 9"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::tokenizer
