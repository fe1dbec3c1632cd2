#pragma once
// Evaluation statistics.
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::train {

// Adjusted Rand index of two labelings of the same items (int64 [N]); 1 = identical partitions,
// ~0 = chance. Defined as 1 when both put everything in one cluster.
double adjusted_rand_index(const at::Tensor& a, const at::Tensor& b);

// Pearson correlation of two equally long samples (0 when either is constant).
double pearson(const std::vector<double>& x, const std::vector<double>& y);

// Instance mask [H, W] (ids) -> the majority id of each patch of a grid x grid raster [grid^2].
at::Tensor mask_to_patches(const at::Tensor& mask, int64_t grid);

}  // namespace setok::train
