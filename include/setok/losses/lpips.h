#pragma once
// LPIPS perceptual distance (VGG16 backbone), used only when a weights file is given. The file is
// safetensors with torchvision's VGG16 names `features.{0,2,5,7,10,12,14,17,19,21,24,26,28}.*`
// and the lpips package's `lin{0..4}.model.1.weight` (docs/losses.md shows how to make it).
#include <filesystem>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace setok::losses {

class LpipsLinImpl : public torch::nn::Module {
 public:
  explicit LpipsLinImpl(int64_t channels);
  torch::nn::Sequential model{nullptr};  // Dropout, Conv2d(C, 1, 1, bias=false)
};
TORCH_MODULE(LpipsLin);

class LpipsImpl : public torch::nn::Module {
 public:
  LpipsImpl();
  // Loads and freezes the weights; errors name the file and the missing / mismatched tensors.
  explicit LpipsImpl(const std::filesystem::path& weights);
  // a, b [B, 3, H, W] in [-1, 1] -> distance per image [B].
  at::Tensor forward(const at::Tensor& a, const at::Tensor& b);

  torch::nn::Sequential features{nullptr};
  LpipsLin lin0{nullptr}, lin1{nullptr}, lin2{nullptr}, lin3{nullptr}, lin4{nullptr};
};
TORCH_MODULE(Lpips);

}  // namespace setok::losses
