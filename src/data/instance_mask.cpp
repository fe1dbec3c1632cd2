#include "setok/data/instance_mask.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "setok/io/image.h"
#include "setok/runtime/error.h"

namespace setok::data {

at::Tensor panoptic_ids(const at::Tensor& rgb) {
  if (!rgb.defined() || rgb.dim() != 3 || rgb.size(0) != 3)
    throw Error("panoptic map: expected RGB [3, H, W]");
  const at::Tensor c = rgb.to(at::kLong);
  return c[0] + 256 * c[1] + 65536 * c[2];  // [H, W]
}

at::Tensor read_instance_mask(const PairRecord& r) {
  if (r.mask.empty()) throw Error(r.image.string() + ": the record has no instance mask");
  const at::Tensor rgb = io::read_image(r.mask);  // [3, H, W]; grey PNGs arrive as R = G = B
  if (r.mask_segments.empty()) return rgb[0].to(at::kLong);
  const at::Tensor ids = panoptic_ids(rgb);
  // Segment ids sorted with their instance numbers: each pixel's id found by binary search.
  std::vector<std::pair<int64_t, int64_t>> order;
  for (size_t i = 0; i < r.mask_segments.size(); ++i)
    order.emplace_back(r.mask_segments[i], static_cast<int64_t>(i + 1));
  std::sort(order.begin(), order.end());
  std::vector<int64_t> keys, values;
  for (const auto& [k, v] : order) keys.push_back(k), values.push_back(v);
  const at::Tensor sorted = at::tensor(keys, at::kLong), instance = at::tensor(values, at::kLong);
  const at::Tensor flat = ids.reshape(-1);
  const at::Tensor pos = at::searchsorted(sorted, flat).clamp_max(sorted.numel() - 1);
  const at::Tensor found = sorted.index_select(0, pos) == flat;
  return at::where(found, instance.index_select(0, pos), at::zeros_like(flat)).view(ids.sizes());
}

}  // namespace setok::data
