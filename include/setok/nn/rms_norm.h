#pragma once
// RMSNorm as LLaMA uses it (HF LlamaRMSNorm): normalise in float32, cast back to the input
// dtype, then scale by `weight` (no bias, no mean subtraction).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace setok::nn {

class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps);
  at::Tensor forward(const at::Tensor& x);  // [..., dim] -> [..., dim]

  at::Tensor weight;  // [dim], initialised to 1

 private:
  double eps_;
};
TORCH_MODULE(RmsNorm);

}  // namespace setok::nn
