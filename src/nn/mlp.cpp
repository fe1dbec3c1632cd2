#include "setok/nn/mlp.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::nn {

MlpImpl::MlpImpl(const MlpOptions& options) : options_(options) {
  if (options.dim <= 0 || options.hidden <= 0) {
    throw Error("Mlp: dim and hidden must be positive, got " + std::to_string(options.dim) +
                " and " + std::to_string(options.hidden));
  }
  const int64_t out = options.out > 0 ? options.out : options.dim;
  fc1 = register_module(
      "fc1",
      torch::nn::Linear(torch::nn::LinearOptions(options.dim, options.hidden).bias(options.bias)));
  fc2 = register_module(
      "fc2", torch::nn::Linear(torch::nn::LinearOptions(options.hidden, out).bias(options.bias)));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  const bool drop = is_training() && options_.dropout > 0.0;
  at::Tensor h = activate(fc1->forward(x), options_.activation);  // [..., hidden]
  if (drop) h = at::dropout(h, options_.dropout, true);
  at::Tensor y = fc2->forward(h);  // [..., out]
  return drop ? at::dropout(y, options_.dropout, true) : y;
}

}  // namespace setok::nn
