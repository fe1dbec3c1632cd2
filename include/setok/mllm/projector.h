#pragma once
// LLaVA's multimodal projectors, with LLaVA's parameter names (an nn.Sequential):
//   linear:      Linear(in -> out)                               ("0.weight", "0.bias")
//   mlp2x_gelu:  Linear(in -> out), GELU, Linear(out -> out)     ("0.*", "2.*")
// Setokim uses one into the LLM (SeTok token width -> hidden size) and one out of it (hidden ->
// hidden, feeding the diffusion head's condition).
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace setok::mllm {

class ProjectorImpl : public torch::nn::Module {
 public:
  // kind: "linear" | "mlp2x_gelu" (errors name the known kinds).
  ProjectorImpl(const std::string& kind, int64_t in, int64_t out);
  at::Tensor forward(const at::Tensor& x);  // [..., in] -> [..., out]

  torch::nn::Sequential layers{nullptr};
};
TORCH_MODULE(Projector);

}  // namespace setok::mllm
