#pragma once
// Scaled dot-product attention with one behaviour on every LibTorch we build against:
// LibTorch >= 2.1 dispatches to ATen's fused kernels (flash / memory-efficient / math);
// older versions (Debian's 1.13) and explicit callers use the math path below.
//
// Conventions (PyTorch's, plus one fix):
//   q [..., Lq, E], k [..., Lk, E], v [..., Lk, Ev] -> out [..., Lq, Ev]
//   mask: broadcastable to [..., Lq, Lk]; bool (true = may attend) or floating (added to the
//         scores, -inf blocks).
//   causal: query i attends to keys j <= i (top-left aligned, as torch's is_causal); may be
//         combined with a mask.
//   scale: default 1/sqrt(E).
//   dropout_p: dropout on the attention weights; pass 0 in evaluation.
//   A query row that may attend to nothing outputs zeros (PyTorch versions disagree here:
//   NaN on some paths, 0 on others).
#include <optional>

#include <ATen/core/Tensor.h>

namespace setok::nn {

struct SdpaOptions {
  at::Tensor mask;
  double dropout_p = 0.0;
  bool causal = false;
  std::optional<double> scale;
};

at::Tensor scaled_dot_product_attention(const at::Tensor& q, const at::Tensor& k,
                                        const at::Tensor& v, const SdpaOptions& options = {});

// The explicit softmax(q k^T * scale + mask) v path (softmax in float32 for 16-bit inputs).
at::Tensor sdpa_math(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const SdpaOptions& options = {});

}  // namespace setok::nn
