#include "setok/tokenizer/position_encoding.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::tokenizer {

at::Tensor position_encoding_2d(int64_t h, int64_t w, int64_t channels, const at::Device& device) {
  if (h <= 0 || w <= 0 || channels <= 0) {
    throw Error("position encoding: h, w and channels must be positive");
  }
  const int64_t c = 2 * ((channels + 3) / 4);
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  const at::Tensor inv_freq =
      1.0 / at::pow(10000.0, at::arange(0, c, 2, f32) / static_cast<double>(c));  // [c/2]
  // e(p): [P, c] with sin/cos interleaved per frequency.
  auto encode = [&](int64_t n) {
    const at::Tensor angles = at::outer(at::arange(n, f32), inv_freq);  // [n, c/2]
    return at::stack({angles.sin(), angles.cos()}, -1).flatten(-2);     // [n, c]
  };
  const at::Tensor rows = encode(h).unsqueeze(1).expand({h, w, c});       // [h, w, c]
  const at::Tensor cols = encode(w).unsqueeze(0).expand({h, w, c});       // [h, w, c]
  return at::cat({rows, cols}, -1).narrow(-1, 0, channels).contiguous();  // [h, w, channels]
}

}  // namespace setok::tokenizer
