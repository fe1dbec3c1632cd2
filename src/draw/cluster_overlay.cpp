#include "setok/draw/cluster_overlay.h"

#include <cmath>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::draw {

at::Tensor cluster_palette(int64_t n) {
  std::vector<uint8_t> rgb;
  rgb.reserve(3 * n);
  for (int64_t i = 0; i < n; ++i) {
    const double h = std::fmod(0.13 + 0.6180339887 * static_cast<double>(i), 1.0) * 6.0;
    const double s = i % 2 == 0 ? 0.75 : 0.55, v = 0.95;
    const double c = v * s, x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1)), m = v - c;
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(h)) {
      case 0:
        r = c, g = x;
        break;
      case 1:
        r = x, g = c;
        break;
      case 2:
        g = c, b = x;
        break;
      case 3:
        g = x, b = c;
        break;
      case 4:
        r = x, b = c;
        break;
      default:
        r = c, b = x;
        break;
    }
    for (double ch : {r, g, b}) rgb.push_back(static_cast<uint8_t>(std::lround((ch + m) * 255)));
  }
  return at::tensor(rgb, at::kByte).view({n, 3});
}

at::Tensor draw_cluster_overlay(const at::Tensor& image, const at::Tensor& assignment,
                                const at::Tensor& centres, int64_t grid_h, int64_t grid_w,
                                double alpha) {
  if (!image.defined() || image.dim() != 3 || image.size(0) != 3 ||
      image.scalar_type() != at::kByte) {
    throw Error("cluster overlay: expected a uint8 image [3, H, W]");
  }
  if (!assignment.defined() || assignment.numel() != grid_h * grid_w) {
    throw Error("cluster overlay: assignment must have grid_h x grid_w = " +
                std::to_string(grid_h * grid_w) + " entries");
  }
  const int64_t H = image.size(1), W = image.size(2);
  const at::Tensor grid = assignment.to(at::kCPU).to(at::kLong).view({grid_h, grid_w});
  // Nearest-neighbour label map at image resolution.
  const at::Tensor rows = at::div(at::arange(H, at::kLong) * grid_h, H, "floor");  // [H]
  const at::Tensor cols = at::div(at::arange(W, at::kLong) * grid_w, W, "floor");  // [W]
  const at::Tensor labels = grid.index_select(0, rows).index_select(1, cols);      // [H, W]
  const int64_t n = std::max<int64_t>(1, grid.max().item<int64_t>() + 1);
  const at::Tensor masked = labels < 0;  // [H, W]: letterbox padding, in no cluster
  const at::Tensor colours = cluster_palette(n)
                                 .index_select(0, labels.clamp_min(0).reshape(-1))
                                 .view({H, W, 3})
                                 .permute({2, 0, 1});
  at::Tensor out = image.to(at::kCPU).to(at::kFloat) * (1 - alpha) + colours.to(at::kFloat) * alpha;
  out = at::where(masked.unsqueeze(0), image.to(at::kCPU).to(at::kFloat) * 0.35, out);
  // Borders: a pixel whose right or lower neighbour belongs to another cluster.
  at::Tensor border = at::zeros({H, W}, at::kBool);
  border.narrow(1, 0, W - 1) |= labels.narrow(1, 0, W - 1) != labels.narrow(1, 1, W - 1);
  border.narrow(0, 0, H - 1) |= labels.narrow(0, 0, H - 1) != labels.narrow(0, 1, H - 1);
  out = at::where(border.unsqueeze(0), out * 0.25, out);
  // Centres: a white disc with a black ring at the centre patch's middle.
  const double cell = std::min(static_cast<double>(H) / grid_h, static_cast<double>(W) / grid_w);
  const double radius = std::max(2.0, cell * 0.22);
  const at::Tensor ys = at::arange(H, at::kFloat).view({H, 1});
  const at::Tensor xs = at::arange(W, at::kFloat).view({1, W});
  const at::Tensor c = centres.to(at::kCPU).to(at::kLong).reshape(-1);
  for (int64_t i = 0; i < c.size(0); ++i) {
    const int64_t t = c[i].item<int64_t>();
    const double cy = (static_cast<double>(t / grid_w) + 0.5) * H / grid_h;
    const double cx = (static_cast<double>(t % grid_w) + 0.5) * W / grid_w;
    const at::Tensor d = ((ys + 0.5 - cy).pow(2) + (xs + 0.5 - cx).pow(2)).sqrt();  // [H, W]
    out = at::where((d <= radius + 1.0).unsqueeze(0), at::zeros_like(out), out);
    out = at::where((d <= radius).unsqueeze(0), at::full_like(out, 255.0), out);
  }
  return out.round().clamp(0, 255).to(at::kByte);
}

}  // namespace setok::draw
