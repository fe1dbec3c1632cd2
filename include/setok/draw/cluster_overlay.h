#pragma once
// Pictures of what SeTok did: each cluster as a coloured region over the image, cluster
// borders darkened, centres marked with a white dot outlined in black. Pure tensor code (no
// OpenCV), so it also runs in builds without image I/O.
#include <ATen/core/Tensor.h>

namespace setok::draw {

// n distinct colours (golden-ratio hue steps), uint8 [n, 3].
at::Tensor cluster_palette(int64_t n);

// image uint8 [3, H, W]; assignment int64 [N] on a grid_h x grid_w patch grid (raster order);
// centres int64 [L] token indices. Masked patches (assignment -1, letterbox padding) are drawn
// dimmed, in no cluster's colour. Returns uint8 [3, H, W].
at::Tensor draw_cluster_overlay(const at::Tensor& image, const at::Tensor& assignment,
                                const at::Tensor& centres, int64_t grid_h, int64_t grid_w,
                                double alpha = 0.45);

}  // namespace setok::draw
