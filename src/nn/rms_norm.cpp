#include "setok/nn/rms_norm.h"

#include <ATen/ATen.h>

namespace setok::nn {

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", at::ones({dim}));
}

at::Tensor RmsNormImpl::forward(const at::Tensor& x) {
  const at::Tensor h = x.to(at::kFloat);                            // [..., dim]
  const at::Tensor variance = h.pow(2).mean(-1, /*keepdim=*/true);  // [..., 1]
  return weight * (h * at::rsqrt(variance + eps_)).to(x.scalar_type());
}

}  // namespace setok::nn
