#include "setok/train/metrics.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::train {

namespace {

// Dense ids 0..n-1 of an int64 labeling [N] and their count.
std::pair<at::Tensor, int64_t> dense_ids(const at::Tensor& x) {
  const auto [values, inverse, counts] = at::_unique2(x, /*sorted=*/true, /*return_inverse=*/true,
                                                      /*return_counts=*/false);
  return {inverse.reshape(-1), values.numel()};
}

double pairs(const at::Tensor& counts) {  // sum of n (n - 1) / 2 over counts
  const at::Tensor n = counts.to(at::kDouble);
  return (n * (n - 1) / 2).sum().item<double>();
}

void check_labels(const at::Tensor& labels) {
  if (!labels.defined() || labels.dim() != 2 || labels.numel() == 0) {
    throw Error("metrics: expected a label map [H, W], got " +
                (labels.defined() ? c10::str(labels.sizes()) : "undefined"));
  }
}

// ARI of the pixels where `keep` holds.
double masked_ari(const at::Tensor& labels, const at::Tensor& pixel_cluster,
                  const at::Tensor& keep) {
  const at::Tensor flat = labels.reshape(-1).to(at::kLong);
  if (pixel_cluster.numel() != flat.numel())
    throw Error("metrics: pixel clusters and labels disagree in size");
  const at::Tensor k = keep & (pixel_cluster >= 0);
  if (k.sum().item<int64_t>() < 2) return std::numeric_limits<double>::quiet_NaN();
  return adjusted_rand_index(flat.masked_select(k), pixel_cluster.masked_select(k));
}

}  // namespace

double adjusted_rand_index(const at::Tensor& a_in, const at::Tensor& b_in) {
  const at::Tensor a = a_in.to(at::kCPU).to(at::kLong).reshape(-1),
                   b = b_in.to(at::kCPU).to(at::kLong).reshape(-1);
  if (a.numel() != b.numel() || a.numel() == 0)
    throw Error("ARI: labelings must be non-empty and equally long");
  const auto [ia, na] = dense_ids(a);
  const auto [ib, nb] = dense_ids(b);
  const at::Tensor table = at::bincount(ia * nb + ib, {}, na * nb);  // contingency, flattened
  const double index = pairs(table);
  const double sa = pairs(at::bincount(ia, {}, na)), sb = pairs(at::bincount(ib, {}, nb));
  const double total = static_cast<double>(a.numel()) * static_cast<double>(a.numel() - 1) / 2;
  const double expected = total > 0 ? sa * sb / total : 0.0;
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

at::Tensor pixel_patches(int64_t height, int64_t width, int64_t image_size, int64_t patch_size) {
  if (height < 1 || width < 1 || patch_size < 1 || image_size < patch_size) {
    throw Error("metrics: need a non-empty map and 1 <= patch_size <= image_size");
  }
  const int64_t grid = image_size / patch_size;
  // Patch row / column of each pixel centre, in tower-input pixels; >= grid in the dropped strip.
  auto lines = [&](int64_t n) {
    const at::Tensor at_input =
        (at::arange(n, at::kDouble) + 0.5) * (static_cast<double>(image_size) / n);
    return at::floor(at_input / static_cast<double>(patch_size)).to(at::kLong);  // [n]
  };
  const at::Tensor rows = lines(height).unsqueeze(1), cols = lines(width).unsqueeze(0);
  const at::Tensor index = rows * grid + cols;  // [H, W]
  return at::where((rows < grid) & (cols < grid), index, at::full_like(index, -1)).reshape(-1);
}

at::Tensor pixel_clusters(const at::Tensor& labels, const at::Tensor& assignment,
                          int64_t image_size, int64_t patch_size) {
  check_labels(labels);
  const at::Tensor patch = pixel_patches(labels.size(0), labels.size(1), image_size, patch_size);
  const at::Tensor a = assignment.to(at::kCPU).to(at::kLong).reshape(-1);
  const int64_t grid = image_size / patch_size;
  if (a.numel() != grid * grid) {
    throw Error("metrics: assignment has " + std::to_string(a.numel()) + " patches, the grid " +
                std::to_string(grid * grid));
  }
  const at::Tensor cluster = a.index_select(0, patch.clamp_min(0));  // [H * W]
  return at::where(patch >= 0, cluster, at::full_like(cluster, -1));
}

double pixel_ari(const at::Tensor& labels, const at::Tensor& pixel_cluster) {
  check_labels(labels);
  return masked_ari(labels, pixel_cluster, labels.reshape(-1) >= 0);
}

double foreground_ari(const at::Tensor& labels, const at::Tensor& pixel_cluster) {
  check_labels(labels);
  return masked_ari(labels, pixel_cluster, labels.reshape(-1) > 0);
}

at::Tensor patch_owners(const at::Tensor& labels, int64_t image_size, int64_t patch_size,
                        int64_t num_labels) {
  check_labels(labels);
  const at::Tensor lab = labels.reshape(-1).to(at::kLong);
  if (lab.max().item<int64_t>() >= num_labels) throw Error("metrics: a label >= num_labels");
  const at::Tensor patch = pixel_patches(labels.size(0), labels.size(1), image_size, patch_size);
  const int64_t grid = image_size / patch_size, N = grid * grid;
  const at::Tensor keep = (patch >= 0) & (lab >= 0);
  const at::Tensor counts =
      at::bincount(patch.masked_select(keep) * num_labels + lab.masked_select(keep), {},
                   N * num_labels)
          .view({N, num_labels});  // [N, K]
  const at::Tensor owner = counts.argmax(1);
  return at::where(counts.sum(1) > 0, owner, at::full_like(owner, -1));
}

}  // namespace setok::train
