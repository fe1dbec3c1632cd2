#include "setok/mllm/projector.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include "setok/runtime/error.h"

namespace setok::mllm {

ProjectorImpl::ProjectorImpl(const std::string& kind, int64_t in, int64_t out) {
  if (in < 1 || out < 1) throw Error("projector: widths must be positive");
  layers = torch::nn::Sequential();
  if (kind == "linear") {
    layers->push_back(torch::nn::Linear(in, out));
  } else if (kind == "mlp2x_gelu") {
    layers->push_back(torch::nn::Linear(in, out));
    layers->push_back(torch::nn::GELU());
    layers->push_back(torch::nn::Linear(out, out));
  } else {
    throw Error("projector type '" + kind + "' is not known (linear, mlp2x_gelu)");
  }
  // Parameters directly under the projector: "0.weight", as LLaVA's nn.Sequential names them.
  for (const auto& child : layers->named_children()) register_module(child.key(), child.value());
}

at::Tensor ProjectorImpl::forward(const at::Tensor& x) {
  return layers->forward(x);
}

}  // namespace setok::mllm
