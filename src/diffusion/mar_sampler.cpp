#include "setok/diffusion/mar_sampler.h"

#include <cmath>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::diffusion {

int64_t mar_mask_len(int64_t n, int64_t step, int64_t num_iter, int64_t unknown) {
  const double ratio =
      std::cos(M_PI / 2.0 * static_cast<double>(step + 1) / static_cast<double>(num_iter));
  const auto len = static_cast<int64_t>(std::floor(static_cast<double>(n) * ratio));
  return std::max<int64_t>(1, std::min(unknown - 1, len));
}

double mar_cfg_scale(const MarSamplerOptions& o, int64_t n, int64_t mask_len) {
  if (o.cfg_schedule == "linear") {
    return 1.0 + (o.cfg - 1.0) * static_cast<double>(n - mask_len) / static_cast<double>(n);
  }
  if (o.cfg_schedule == "constant") return o.cfg;
  throw Error("cfg_schedule must be linear or constant, got '" + o.cfg_schedule + "'");
}

at::Tensor mar_sample(const ConditionFn& condition, DiffLossImpl& diffloss, int64_t B, int64_t N,
                      const MarSamplerOptions& o, std::optional<at::Generator> gen,
                      const at::TensorOptions& topts) {
  if (B < 1 || N < 1 || o.num_iter < 1)
    throw Error("mar_sample: batch, length and num_iter must be >= 1");
  mar_cfg_scale(o, N, 0);  // validates the schedule name
  const int64_t D = diffloss.options().target_channels;
  at::Tensor tokens = at::zeros({B, N, D}, topts);
  at::Tensor mask = at::ones({B, N}, topts.dtype(at::kBool));
  // Random order per sample: orders[b, r] = position revealed r-th from the end of the mask.
  std::vector<at::Tensor> rows;
  for (int64_t b = 0; b < B; ++b) {
    rows.push_back(gen ? at::randperm(N, *gen, at::kLong) : at::randperm(N, at::kLong));
  }
  const at::Tensor orders = at::stack(rows).to(topts.device());  // [B, N]
  for (int64_t step = 0; step < o.num_iter; ++step) {
    const int64_t unknown = mask[0].sum().item<int64_t>();
    if (unknown == 0) break;
    const at::Tensor z = condition(tokens, mask, false);  // [B, N, Z]
    const int64_t mask_len = mar_mask_len(N, step, o.num_iter, unknown);
    // The first mask_len positions of each order stay masked.
    const at::Tensor next = at::zeros({B, N}, mask.options())
                                .scatter(1, orders.narrow(1, 0, mask_len), true);  // [B, N]
    const at::Tensor to_predict = step >= o.num_iter - 1 ? mask : (mask ^ next);   // [B, N]
    const at::Tensor cond_rows = z.index({to_predict});                            // [M, Z]
    const double cfg = mar_cfg_scale(o, N, step >= o.num_iter - 1 ? 0 : mask_len);
    at::Tensor sampled;
    if (o.cfg != 1.0) {
      const at::Tensor uncond_rows = condition(tokens, mask, true).index({to_predict});
      sampled = diffloss.sample(at::cat({cond_rows, uncond_rows}), o.temperature, cfg, gen)
                    .narrow(0, 0, cond_rows.size(0));
    } else {
      sampled = diffloss.sample(cond_rows, o.temperature, 1.0, gen);
    }
    tokens = tokens.index_put({to_predict}, sampled.to(tokens.scalar_type()));
    mask = step >= o.num_iter - 1 ? at::zeros_like(mask) : next;
  }
  return tokens;
}

at::Tensor mar_sample_rows(const ConditionFn& condition, DiffLossImpl& diffloss,
                           const std::vector<int64_t>& lengths, const MarSamplerOptions& o,
                           std::vector<at::Generator> generators, const at::TensorOptions& topts) {
  const auto B = static_cast<int64_t>(lengths.size());
  if (B < 1 || o.num_iter < 1) throw Error("mar_sample_rows: rows and num_iter must be >= 1");
  if (generators.size() != lengths.size()) throw Error("mar_sample_rows: one generator per row");
  mar_cfg_scale(o, 1, 0);  // validates the schedule name
  int64_t N = 0;
  for (const int64_t n : lengths) {
    if (n < 1) throw Error("mar_sample_rows: every row needs a length >= 1");
    N = std::max(N, n);
  }
  const int64_t D = diffloss.options().target_channels;
  at::Tensor tokens = at::zeros({B, N, D}, topts);              // [B, N, D]
  at::Tensor mask = at::zeros({B, N}, topts.dtype(at::kBool));  // [B, N]
  std::vector<at::Tensor> orders;  // per row: the position revealed r-th from the end
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = lengths[static_cast<size_t>(b)];
    mask[b].narrow(0, 0, n).fill_(true);
    orders.push_back(
        at::randperm(n, generators[static_cast<size_t>(b)], at::kLong).to(topts.device()));
  }
  for (int64_t step = 0; step < o.num_iter; ++step) {
    if (!mask.any().item<bool>()) break;
    const bool last = step >= o.num_iter - 1;
    const at::Tensor z = condition(tokens, mask, false);  // [B, N, Z]
    const at::Tensor zu = o.cfg != 1.0 ? condition(tokens, mask, true) : at::Tensor();
    at::Tensor next_mask = at::zeros_like(mask);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t n = lengths[static_cast<size_t>(b)];
      const int64_t unknown = mask[b].sum().item<int64_t>();
      if (unknown == 0) continue;
      const int64_t mask_len = last ? 0 : mar_mask_len(n, step, o.num_iter, unknown);
      at::Tensor keep = at::zeros({N}, mask.options());  // [N] still masked after this step
      if (mask_len > 0)
        keep.scatter_(0, orders[static_cast<size_t>(b)].narrow(0, 0, mask_len), true);
      const at::Tensor predict = mask[b] & keep.logical_not();  // [N]
      next_mask[b].copy_(keep);
      if (!predict.any().item<bool>()) continue;
      const at::Tensor rows = z[b].index({predict});  // [M, Z]
      const double cfg = mar_cfg_scale(o, n, mask_len);
      at::Generator& g = generators[static_cast<size_t>(b)];
      at::Tensor sampled;
      if (o.cfg != 1.0) {
        sampled = diffloss.sample(at::cat({rows, zu[b].index({predict})}), o.temperature, cfg, g)
                      .narrow(0, 0, rows.size(0));
      } else {
        sampled = diffloss.sample(rows, o.temperature, 1.0, g);
      }
      tokens[b].index_put_({predict}, sampled.to(tokens.scalar_type()));
    }
    mask = next_mask;
  }
  return tokens;
}

}  // namespace setok::diffusion
