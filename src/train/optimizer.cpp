#include "setok/train/optimizer.h"

#include <ATen/ATen.h>

namespace setok::train {

double clip_gradients(const std::vector<at::Tensor>& params, double max_norm) {
  at::NoGradGuard g;
  std::vector<at::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().to(at::kFloat).norm().pow(2));
  }
  if (norms.empty()) return 0.0;
  const double total = at::stack(norms).sum().sqrt().item<double>();
  if (max_norm > 0 && total > max_norm) {
    const double scale = max_norm / (total + 1e-6);
    for (const auto& p : params) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  return total;
}

Optimizer::Optimizer(OptimizerSpec spec)
    : spec_(std::move(spec)), adamw_(spec_.groups, spec_.adamw) {
  for (const auto& g : adamw_.groups())
    params_.insert(params_.end(), g.params.begin(), g.params.end());
}

double Optimizer::step(int64_t step, const GradSync& sync) {
  if (sync) sync(params_);
  const double norm = clip_gradients(params_, spec_.grad_clip);
  adamw_.step(lr(step));
  return norm;
}

}  // namespace setok::train
