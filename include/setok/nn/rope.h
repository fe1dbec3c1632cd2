#pragma once
// Rotary position embedding in HF's half-rotation layout (LLaMA): a head vector [x1 | x2] of
// width E is rotated pairwise as (x1_i, x2_i) by angle pos * inv_freq_i, i < E/2. Frequency
// variants: the default 1 / theta^(2i/E), "linear" (positions divided by a factor) and
// "llama3" (long wavelengths divided by a factor, with a smooth band in between).
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::nn {

struct RopeOptions {
  int64_t head_dim = 0;
  double theta = 10000.0;
  std::string type = "default";  // default | linear | llama3
  double factor = 1.0;           // linear, llama3
  double low_freq_factor = 1.0;  // llama3
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

// [E/2] float32 inverse frequencies (computed as HF does, in float32). Throws setok::Error for
// an odd head_dim or an unknown type.
at::Tensor rope_inv_freq(const RopeOptions& options);

struct RopeTables {
  at::Tensor cos;  // [B, T, E]
  at::Tensor sin;  // [B, T, E]
};

// position_ids [B, T] (integer) -> cos / sin tables in `dtype`, computed in float32.
RopeTables rope_tables(const at::Tensor& inv_freq, const at::Tensor& position_ids,
                       c10::ScalarType dtype);

// x [B, H, T, E] rotated by tables [B, T, E] -> [B, H, T, E].
at::Tensor apply_rope(const at::Tensor& x, const RopeTables& tables);

}  // namespace setok::nn
