#pragma once
// The fixed-grid ablation of SeTok (`model.tokenizer.mode: "fixed"`): DPC-KNN's grouping
// replaced by a fixed g x g grid of cells over the patch grid, everything after it (the token
// merger's inner transformer over each cell's members, masked mean, inter transformer) unchanged
// — the paper's dynamic-vs-fixed comparison (Table 4) in miniature.
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "setok/tokenizer/dpc_knn.h"

namespace setok::tokenizer {

// Patch (y, x) of a grid_h x grid_w patch grid belongs to cell (floor(y g / grid_h),
// floor(x g / grid_w)); cells are numbered in raster order. With `token_mask` [B, N] bool
// (undefined = every patch is content), masked patches get assignment -1 and a cell without a
// content patch is dropped (the others renumbered, order kept). A cell's centre is its middle
// member in raster order; scores are 0 (-1 where masked). Needs 1 <= g <= min(grid_h, grid_w).
Clusters fixed_grid_clusters(int64_t batch, int64_t grid_h, int64_t grid_w, int64_t g,
                             const at::Tensor& token_mask, const at::Device& device);

}  // namespace setok::tokenizer
