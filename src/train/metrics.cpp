#include "setok/train/metrics.h"

#include <cmath>
#include <map>

#include <ATen/ATen.h>
#include <torch/nn/functional/upsampling.h>

#include "setok/runtime/error.h"

namespace setok::train {

double adjusted_rand_index(const at::Tensor& a_in, const at::Tensor& b_in) {
  const at::Tensor a = a_in.to(at::kCPU).to(at::kLong).reshape(-1),
                   b = b_in.to(at::kCPU).to(at::kLong).reshape(-1);
  if (a.numel() != b.numel() || a.numel() == 0)
    throw Error("ARI: labelings must be non-empty and equally long");
  std::map<std::pair<int64_t, int64_t>, double> table;
  std::map<int64_t, double> rows, cols;
  const auto pa = a.accessor<int64_t, 1>(), pb = b.accessor<int64_t, 1>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    table[{pa[i], pb[i]}] += 1;
    rows[pa[i]] += 1;
    cols[pb[i]] += 1;
  }
  auto c2 = [](double n) { return n * (n - 1) / 2; };
  double index = 0, sa = 0, sb = 0;
  for (const auto& [k, n] : table) index += c2(n);
  for (const auto& [k, n] : rows) sa += c2(n);
  for (const auto& [k, n] : cols) sb += c2(n);
  const double total = c2(static_cast<double>(a.numel()));
  const double expected = sa * sb / total;
  const double max_index = 0.5 * (sa + sb);
  if (max_index == expected) return 1.0;  // both trivial (one cluster each) or identical degenerate
  return (index - expected) / (max_index - expected);
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2)
    throw Error("pearson: need two equally long samples of >= 2");
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

at::Tensor mask_to_patches(const at::Tensor& mask, int64_t grid) {
  if (mask.dim() != 2) throw Error("mask_to_patches: expected a mask [H, W]");
  at::Tensor m = mask.to(at::kLong);
  const int64_t H = m.size(0), W = m.size(1);
  if (H % grid != 0 || W % grid != 0) {
    // Nearest-neighbour resize to a multiple of the grid.
    const int64_t side = grid * std::max<int64_t>(1, (std::max(H, W) + grid - 1) / grid);
    const at::Tensor rows = at::div(at::arange(side, at::kLong) * H, side, "floor");
    const at::Tensor cols = at::div(at::arange(side, at::kLong) * W, side, "floor");
    m = m.index_select(0, rows).index_select(1, cols);
  }
  const int64_t p = m.size(0) / grid;
  const at::Tensor patches =
      m.view({grid, p, grid, p}).permute({0, 2, 1, 3}).reshape({grid * grid, p * p});
  const int64_t classes = patches.max().item<int64_t>() + 1;
  const at::Tensor counts = at::one_hot(patches, classes).sum(1);  // [grid^2, classes]
  return counts.argmax(1);
}

}  // namespace setok::train
