#include "setok/losses/patch_gan.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "setok/runtime/error.h"

namespace setok::losses {

PatchDiscriminatorImpl::PatchDiscriminatorImpl(int64_t in, int64_t width, int64_t layers) {
  if (in < 1 || width < 1 || layers < 1)
    throw Error("PatchGAN: channels, width and layers must be >= 1");
  namespace nn = torch::nn;
  auto conv = [](int64_t i, int64_t o, int64_t stride, bool bias) {
    return nn::Conv2d(nn::Conv2dOptions(i, o, 4).stride(stride).padding(1).bias(bias));
  };
  main = nn::Sequential();
  main->push_back(conv(in, width, 2, true));
  main->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
  int64_t mult = 1;
  for (int64_t n = 1; n <= layers; ++n) {
    const int64_t prev = mult;
    mult = std::min<int64_t>(1 << n, 8);
    main->push_back(conv(width * prev, width * mult, n < layers ? 2 : 1, false));
    main->push_back(nn::BatchNorm2d(width * mult));
    main->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
  }
  main->push_back(conv(width * mult, 1, 1, true));
  register_module("main", main);
  at::NoGradGuard g;
  for (auto& m : main->modules(false)) {
    if (auto* c = m->as<nn::Conv2d>()) c->weight.normal_(0, 0.02);
    if (auto* b = m->as<nn::BatchNorm2d>()) {
      b->weight.normal_(1, 0.02);
      b->bias.zero_();
    }
  }
}

at::Tensor PatchDiscriminatorImpl::forward(const at::Tensor& images) {
  return main->forward(images);
}

at::Tensor hinge_discriminator_loss(const at::Tensor& real, const at::Tensor& fake) {
  return 0.5 * (at::relu(1.0 - real).mean() + at::relu(1.0 + fake).mean());
}

at::Tensor generator_loss(const at::Tensor& fake) {
  return -fake.mean();
}

at::Tensor adaptive_gan_weight(const at::Tensor& rec, const at::Tensor& gan, const at::Tensor& last,
                               double weight) {
  const auto g_rec =
      torch::autograd::grad({rec}, {last}, {}, /*retain_graph=*/true, false, true)[0];
  const auto g_gan =
      torch::autograd::grad({gan}, {last}, {}, /*retain_graph=*/true, false, true)[0];
  if (!g_rec.defined() || !g_gan.defined()) {
    throw Error("adaptive GAN weight: the losses do not depend on the decoder's last layer");
  }
  return (g_rec.norm() / (g_gan.norm() + 1e-4)).clamp(0.0, 1e4).detach() * weight;
}

}  // namespace setok::losses
