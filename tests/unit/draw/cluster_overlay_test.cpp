#include "setok/draw/cluster_overlay.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::draw {
namespace {

TEST(ClusterOverlay, PaletteColoursAreDistinct) {
  const at::Tensor p = cluster_palette(24).to(at::kInt);
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{24, 3}));
  for (int64_t i = 0; i < 24; ++i) {
    for (int64_t j = i + 1; j < 24; ++j) {
      EXPECT_GT((p[i] - p[j]).abs().sum().item<int>(), 20) << i << " vs " << j;
    }
  }
}

TEST(ClusterOverlay, RegionsBordersAndCentres) {
  // 2 x 2 grid on a 40 x 40 grey image: left column cluster 0, right column cluster 1.
  const at::Tensor image = at::full({3, 40, 40}, 128, at::kByte);
  const at::Tensor assignment = at::tensor({0, 1, 0, 1}, at::kLong);
  const at::Tensor centres = at::tensor({0, 3}, at::kLong);
  const at::Tensor out = draw_cluster_overlay(image, assignment, centres, 2, 2, 0.5);
  ASSERT_EQ(out.sizes(), image.sizes());
  ASSERT_EQ(out.scalar_type(), at::kByte);
  const at::Tensor pal = cluster_palette(2).to(at::kFloat);
  // A plain region pixel is the 50/50 blend of grey and its cluster colour.
  const at::Tensor left = out.index({at::indexing::Slice(), 30, 5}).to(at::kFloat);
  const at::Tensor right = out.index({at::indexing::Slice(), 5, 35}).to(at::kFloat);
  EXPECT_LE((left - (64 + pal[0] * 0.5)).abs().max().item<float>(), 1.0);
  EXPECT_LE((right - (64 + pal[1] * 0.5)).abs().max().item<float>(), 1.0);
  // The column where the clusters meet is darkened.
  EXPECT_LT(out.index({at::indexing::Slice(), 30, 19}).to(at::kFloat).mean().item<float>(),
            left.mean().item<float>() * 0.5);
  // Centre of token 0 (pixel 10, 10) is white; token 3's (30, 30) too.
  EXPECT_EQ(out.index({at::indexing::Slice(), 10, 10}).min().item<int>(), 255);
  EXPECT_EQ(out.index({at::indexing::Slice(), 30, 30}).min().item<int>(), 255);
}

TEST(ClusterOverlay, BadInputsAreErrors) {
  const at::Tensor image = at::zeros({3, 8, 8}, at::kByte);
  EXPECT_THROW(
      draw_cluster_overlay(image, at::zeros({5}, at::kLong), at::zeros({1}, at::kLong), 2, 2),
      Error);
  EXPECT_THROW(draw_cluster_overlay(at::zeros({3, 8, 8}), at::zeros({4}, at::kLong),
                                    at::zeros({1}, at::kLong), 2, 2),
               Error);
}

}  // namespace
}  // namespace setok::draw
