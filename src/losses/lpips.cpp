#include "setok/losses/lpips.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/pooling.h>

#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"

namespace setok::losses {

namespace {
// torchvision VGG16 "features": conv widths, 0 = max-pool.
constexpr int64_t kVgg[] = {64, 64,  0,   128, 128, 0,   256, 256, 256,
                            0,  512, 512, 512, 0,   512, 512, 512};
// Indices (in `features`) of the ReLUs whose outputs LPIPS compares: relu1_2 .. relu5_3.
constexpr int64_t kTaps[] = {3, 8, 15, 22, 29};
}  // namespace

LpipsLinImpl::LpipsLinImpl(int64_t channels) {
  model = register_module(
      "model", torch::nn::Sequential(
                   torch::nn::Dropout(),
                   torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 1, 1).bias(false))));
}

LpipsImpl::LpipsImpl() {
  namespace nn = torch::nn;
  features = nn::Sequential();
  int64_t in = 3;
  for (int64_t c : kVgg) {
    if (c == 0) {
      features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
    } else {
      features->push_back(nn::Conv2d(nn::Conv2dOptions(in, c, 3).padding(1)));
      features->push_back(nn::ReLU());
      in = c;
    }
  }
  register_module("features", features);
  lin0 = register_module("lin0", LpipsLin(64));
  lin1 = register_module("lin1", LpipsLin(128));
  lin2 = register_module("lin2", LpipsLin(256));
  lin3 = register_module("lin3", LpipsLin(512));
  lin4 = register_module("lin4", LpipsLin(512));
}

LpipsImpl::LpipsImpl(const std::filesystem::path& weights) : LpipsImpl() {
  if (!std::filesystem::exists(weights)) {
    throw Error(weights.string() +
                ": LPIPS weights not found (set the perceptual weight to 0 or give the file)");
  }
  io::load_state(*this, io::TensorStore::open(weights));
  for (auto& p : parameters()) p.requires_grad_(false);
  eval();
}

at::Tensor LpipsImpl::forward(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes() || a.dim() != 4 || a.size(1) != 3) {
    throw Error("LPIPS: expected two image batches [B, 3, H, W] of one shape, got " +
                c10::str(a.sizes()) + " and " + c10::str(b.sizes()));
  }
  const auto opts = a.options();
  const at::Tensor shift = at::tensor({-0.030f, -0.088f, -0.188f}).view({1, 3, 1, 1}).to(opts);
  const at::Tensor scale = at::tensor({0.458f, 0.448f, 0.450f}).view({1, 3, 1, 1}).to(opts);
  at::Tensor x = (at::cat({a, b}) - shift) / scale;  // both batches through VGG at once
  const int64_t B = a.size(0);
  LpipsLin lins[] = {lin0, lin1, lin2, lin3, lin4};
  at::Tensor total = at::zeros({B}, opts);
  int64_t tap = 0, index = 0;
  for (auto& layer : *features) {  // AnyModule: conv / ReLU / max-pool in torchvision order
    if (tap == 5) break;
    x = layer.forward(x);
    if (index++ == kTaps[tap]) {
      const at::Tensor f = x / (x.pow(2).sum(1, true).sqrt() + 1e-10);  // unit norm per position
      const at::Tensor d = (f.narrow(0, 0, B) - f.narrow(0, B, B)).pow(2);
      total = total + lins[tap]->model->forward(d).mean({1, 2, 3});
      ++tap;
    }
  }
  return total;
}

}  // namespace setok::losses
