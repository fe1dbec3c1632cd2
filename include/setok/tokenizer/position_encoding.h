#pragma once
// Fixed 2-D sin-cos position encoding of SeTok (DESIGN §5.3), added unscaled to the patch
// features before clustering:
//   c = 2 * ceil(C / 4);  f_k = 10000^(-2k / c) for k < c / 2
//   e(p) = [sin(p f_0), cos(p f_0), sin(p f_1), cos(p f_1), ...]      (length c)
//   PE(i, j) = concat(e(i), e(j))[:C]     (row i, column j; token n = i * w + j)
#include <ATen/core/Tensor.h>

namespace setok::tokenizer {

// [h, w, channels] float32 on `device`.
at::Tensor position_encoding_2d(int64_t h, int64_t w, int64_t channels,
                                const at::Device& device = at::kCPU);

}  // namespace setok::tokenizer
