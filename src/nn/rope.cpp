#include "setok/nn/rope.h"

#include <cmath>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::nn {

at::Tensor rope_inv_freq(const RopeOptions& o) {
  if (o.head_dim <= 0 || o.head_dim % 2 != 0) {
    throw Error("RoPE: head_dim must be positive and even, got " + std::to_string(o.head_dim));
  }
  if (o.theta <= 0) throw Error("RoPE: rope_theta must be positive");
  // Same op order as HF: arange in int64, to float, divide, power.
  const at::Tensor exponent =
      at::arange(0, o.head_dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(o.head_dim);
  at::Tensor inv_freq = 1.0 / at::pow(o.theta, exponent);  // [E/2]
  if (o.type == "default") return inv_freq;
  if (!(o.factor > 0)) throw Error("RoPE: scaling factor must be positive");
  if (o.type == "linear") return inv_freq / o.factor;
  if (o.type == "llama3") {
    if (!(o.high_freq_factor > o.low_freq_factor)) {
      throw Error("RoPE llama3: high_freq_factor must exceed low_freq_factor");
    }
    const double old_len = static_cast<double>(o.original_max_position_embeddings);
    const double low_wavelen = old_len / o.low_freq_factor;
    const double high_wavelen = old_len / o.high_freq_factor;
    const at::Tensor wavelen = 2 * M_PI / inv_freq;
    at::Tensor scaled = at::where(wavelen > low_wavelen, inv_freq / o.factor, inv_freq);
    const at::Tensor smooth =
        (old_len / wavelen - o.low_freq_factor) / (o.high_freq_factor - o.low_freq_factor);
    const at::Tensor smoothed = (1 - smooth) * scaled / o.factor + smooth * scaled;
    const at::Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    return at::where(medium, smoothed, scaled);
  }
  throw Error("RoPE: unsupported rope_type '" + o.type + "' (supported: default, linear, llama3)");
}

RopeTables rope_tables(const at::Tensor& inv_freq, const at::Tensor& position_ids,
                       c10::ScalarType dtype) {
  const at::Tensor freqs = position_ids.to(at::kFloat).unsqueeze(-1) *
                           inv_freq.to(position_ids.device()).view({1, 1, -1});  // [B, T, E/2]
  const at::Tensor emb = at::cat({freqs, freqs}, -1);                            // [B, T, E]
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

at::Tensor apply_rope(const at::Tensor& x, const RopeTables& tables) {
  const int64_t half = x.size(-1) / 2;
  const at::Tensor x1 = x.narrow(-1, 0, half);
  const at::Tensor x2 = x.narrow(-1, half, half);
  const at::Tensor rotated = at::cat({-x2, x1}, -1);  // [B, H, T, E]
  return x * tables.cos.unsqueeze(1) + rotated * tables.sin.unsqueeze(1);
}

}  // namespace setok::nn
