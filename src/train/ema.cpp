#include "setok/train/ema.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"

namespace setok::train {

Ema::Ema(torch::nn::Module& model, double decay) : decay_(decay) {
  if (!(decay > 0 && decay < 1)) {
    throw Error("train.ema_decay must be in (0, 1), got " + std::to_string(decay));
  }
  at::NoGradGuard no_grad;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    names_.push_back(item.key());
    params_.push_back(item.value());
    shadows_.push_back(item.value().detach().to(at::kFloat).clone());
  }
}

void Ema::update() {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    // shadow += (1 - decay) * (param - shadow)
    shadows_[i].lerp_(params_[i].detach().to(at::kFloat), 1.0 - decay_);
  }
}

io::NamedTensors Ema::state() const {
  io::NamedTensors out;
  for (size_t i = 0; i < names_.size(); ++i) out.emplace_back("ema." + names_[i], shadows_[i]);
  return out;
}

void Ema::load_state(const io::TensorStore& store) {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) {
    const std::string key = "ema." + names_[i];
    if (!store.contains(key)) {
      throw Error(store.path().string() + ": no EMA weights for '" + names_[i] + "'");
    }
    const at::Tensor t = store.get(key, at::kFloat);
    if (!t.sizes().equals(shadows_[i].sizes())) {
      throw Error(store.path().string() + ": '" + key + "' has shape " + c10::str(t.sizes()) +
                  ", the parameter " + c10::str(shadows_[i].sizes()));
    }
    shadows_[i].copy_(t);
  }
}

void Ema::apply() {
  if (!backup_.empty()) throw Error("EMA weights are already applied");
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    backup_.push_back(params_[i].detach().clone());
    params_[i].copy_(shadows_[i]);
  }
}

void Ema::restore() {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < backup_.size(); ++i) params_[i].copy_(backup_[i]);
  backup_.clear();
}

}  // namespace setok::train
