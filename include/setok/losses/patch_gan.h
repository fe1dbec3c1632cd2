#pragma once
// PatchGAN discriminator (taming-transformers' NLayerDiscriminator) with the hinge loss and the
// adaptive generator weight of VQGAN: lambda = |grad_last(rec)| / (|grad_last(gan)| + 1e-4),
// clamped to [0, 1e4], times the configured weight; zero before `disc_start`.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace setok::losses {

class PatchDiscriminatorImpl : public torch::nn::Module {
 public:
  PatchDiscriminatorImpl(int64_t in_channels = 3, int64_t width = 64, int64_t layers = 3);
  at::Tensor forward(const at::Tensor& images);  // [B, 3, H, W] -> patch logits [B, 1, h, w]
  torch::nn::Sequential main{nullptr};
};
TORCH_MODULE(PatchDiscriminator);

// 0.5 (mean relu(1 - real) + mean relu(1 + fake))
at::Tensor hinge_discriminator_loss(const at::Tensor& real_logits, const at::Tensor& fake_logits);
// -mean(fake)
at::Tensor generator_loss(const at::Tensor& fake_logits);

// The adaptive weight (detached scalar). Both losses must depend on `last_layer`.
at::Tensor adaptive_gan_weight(const at::Tensor& reconstruction_loss, const at::Tensor& gan_loss,
                               const at::Tensor& last_layer, double weight);

}  // namespace setok::losses
