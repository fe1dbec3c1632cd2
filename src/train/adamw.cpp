#include "setok/train/adamw.h"

#include <cmath>

#include <ATen/ATen.h>

#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"

namespace setok::train {

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : groups_(std::move(groups)), options_(options) {
  for (const auto& g : groups_) {
    if (g.names.size() != g.params.size())
      throw Error("AdamW: group '" + g.name + "' names and params differ");
    std::vector<at::Tensor> m, v, master;
    for (const auto& p : g.params) {
      const auto f32 = p.options().dtype(at::kFloat);
      m.push_back(at::zeros_like(p, f32, at::MemoryFormat::Preserve));
      v.push_back(at::zeros_like(p, f32, at::MemoryFormat::Preserve));
      master.push_back(p.scalar_type() == at::kFloat ? at::Tensor() : p.detach().to(at::kFloat));
    }
    m_.push_back(std::move(m));
    v_.push_back(std::move(v));
    master_.push_back(std::move(master));
  }
}

void AdamW::zero_grad() {
  for (auto& g : groups_) {
    for (auto& p : g.params) {
      if (p.grad().defined()) p.mutable_grad() = at::Tensor();
    }
  }
}

void AdamW::step(double lr) {
  at::NoGradGuard no_grad;
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double c1 = 1 - std::pow(b1, static_cast<double>(steps_));
  const double c2 = 1 - std::pow(b2, static_cast<double>(steps_));
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const auto& g = groups_[gi];
    const double group_lr = lr * g.lr_scale;
    for (size_t i = 0; i < g.params.size(); ++i) {
      if (!g.params[i].grad().defined()) continue;
      const at::Tensor& master = master_[gi][i];
      at::Tensor p = master.defined() ? master : g.params[i];  // float32
      const at::Tensor grad = g.params[i].grad().to(at::kFloat);
      if (g.weight_decay != 0) p.mul_(1 - group_lr * g.weight_decay);  // decoupled decay
      m_[gi][i].mul_(b1).add_(grad, 1 - b1);
      v_[gi][i].mul_(b2).addcmul_(grad, grad, 1 - b2);
      const at::Tensor denom = (v_[gi][i] / c2).sqrt_().add_(options_.eps);
      p.addcdiv_(m_[gi][i], denom, -group_lr / c1);
      if (master.defined()) g.params[i].copy_(master);  // rounded to the parameter's dtype
    }
  }
}

io::NamedTensors AdamW::state(const std::string& prefix) const {
  io::NamedTensors out;
  out.emplace_back(prefix + "optimizer.step", at::tensor({steps_}, at::kLong));
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    for (size_t i = 0; i < groups_[gi].names.size(); ++i) {
      out.emplace_back(prefix + groups_[gi].names[i] + ".exp_avg", m_[gi][i]);
      out.emplace_back(prefix + groups_[gi].names[i] + ".exp_avg_sq", v_[gi][i]);
      if (master_[gi][i].defined())
        out.emplace_back(prefix + groups_[gi].names[i] + ".master", master_[gi][i]);
    }
  }
  return out;
}

void AdamW::load_state(const io::TensorStore& store, const std::string& prefix) {
  at::NoGradGuard no_grad;
  if (!store.contains(prefix + "optimizer.step")) {
    throw Error(store.path().string() + ": optimizer state lacks '" + prefix + "optimizer.step'");
  }
  steps_ = store.get(prefix + "optimizer.step", at::kLong).item<int64_t>();
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    for (size_t i = 0; i < groups_[gi].names.size(); ++i) {
      std::vector<std::pair<at::Tensor*, const char*>> slots = {{&m_[gi][i], ".exp_avg"},
                                                                {&v_[gi][i], ".exp_avg_sq"}};
      if (master_[gi][i].defined()) slots.emplace_back(&master_[gi][i], ".master");
      for (const auto& [slot, suffix] : slots) {
        const std::string key = prefix + groups_[gi].names[i] + suffix;
        if (!store.contains(key))
          throw Error(store.path().string() + ": optimizer state lacks '" + key + "'");
        const at::Tensor t = store.get(key);
        if (t.sizes() != slot->sizes()) {
          throw Error(store.path().string() + ": optimizer state '" + key + "' has shape " +
                      c10::str(t.sizes()) + ", the parameter " + c10::str(slot->sizes()));
        }
        slot->copy_(t);
      }
      if (master_[gi][i].defined()) groups_[gi].params[i].detach().copy_(master_[gi][i]);
    }
  }
}

std::vector<ParamGroup> decay_groups(const std::vector<std::pair<std::string, at::Tensor>>& named,
                                     double weight_decay, double lr_scale,
                                     const std::string& prefix) {
  ParamGroup decay{prefix + "decay", {}, {}, lr_scale, weight_decay};
  ParamGroup no_decay{prefix + "no_decay", {}, {}, lr_scale, 0.0};
  for (const auto& [name, p] : named) {
    if (!p.requires_grad()) continue;
    const bool matrix = p.dim() >= 2 && name.find("embedding") == std::string::npos &&
                        name.find("queries") == std::string::npos &&
                        name.find("probe") == std::string::npos;
    ParamGroup& g = matrix ? decay : no_decay;
    g.names.push_back(name);
    g.params.push_back(p);
  }
  std::vector<ParamGroup> out;
  if (!decay.params.empty()) out.push_back(std::move(decay));
  if (!no_decay.params.empty()) out.push_back(std::move(no_decay));
  return out;
}

}  // namespace setok::train
