#pragma once
// Two-layer MLP: fc1 -> activation -> dropout -> fc2 -> dropout (HF ViT / SigLIP names).
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "setok/nn/activation.h"

namespace setok::nn {

struct MlpOptions {
  int64_t dim = 0;     // input (and default output) width
  int64_t hidden = 0;  // fc1 width
  int64_t out = 0;     // output width; 0 = dim
  Activation activation = Activation::kGelu;
  double dropout = 0.0;
  bool bias = true;
};

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const MlpOptions& options);
  at::Tensor forward(const at::Tensor& x);  // [..., dim] -> [..., out]

  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};

 private:
  MlpOptions options_;
};
TORCH_MODULE(Mlp);

}  // namespace setok::nn
