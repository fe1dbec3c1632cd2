#include "setok/nn/checkpoint.h"

#include <optional>

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"

namespace setok::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The generators a block may draw from: the CPU one, and the input device's when it is not the
// CPU.
std::vector<at::Generator> generators(const at::Device& device) {
  std::vector<at::Generator> out{at::detail::getDefaultCPUGenerator()};
  if (!device.is_cpu()) out.push_back(at::globalContext().defaultGenerator(device));
  return out;
}

std::vector<at::Tensor> rng_states(std::vector<at::Generator>& gens) {
  std::vector<at::Tensor> states;
  for (auto& g : gens) {
    std::lock_guard<std::mutex> lock(g.mutex());
    states.push_back(g.get_state());
  }
  return states;
}

void set_rng_states(std::vector<at::Generator>& gens, const std::vector<at::Tensor>& states) {
  for (size_t i = 0; i < gens.size(); ++i) {
    std::lock_guard<std::mutex> lock(gens[i].mutex());
    gens[i].set_state(states[i]);
  }
}

// What the backward pass needs besides the input: the function (a copy, so whatever it
// captured lives until then), the RNG states and the autocast state of the forward pass.
struct Saved : torch::CustomClassHolder {
  CheckpointedFn fn;
  std::vector<at::Tensor> rng;
  bool autocast = false;
  c10::ScalarType autocast_dtype = at::kFloat;
};

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const CheckpointedFn* fn, const at::Tensor& x) {
    const at::Device device = x.device();
    auto saved = c10::make_intrusive<Saved>();
    saved->fn = *fn;
    auto gens = generators(device);
    saved->rng = rng_states(gens);
    saved->autocast = compat::is_autocast_enabled(device.type());
    if (saved->autocast) saved->autocast_dtype = compat::autocast_dtype(device.type());
    ctx->saved_data["state"] = c10::IValue::make_capsule(saved);
    ctx->save_for_backward({x});
    at::NoGradGuard no_grad;
    return (*fn)(x);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved =
        c10::static_intrusive_pointer_cast<Saved>(ctx->saved_data["state"].toCapsule());
    const at::Tensor x = ctx->get_saved_variables()[0];
    auto gens = generators(x.device());
    const std::vector<at::Tensor> current = rng_states(gens);
    set_rng_states(gens, saved->rng);
    at::Tensor input = x.detach().requires_grad_(true);
    at::Tensor out;
    {
      at::AutoGradMode grad(true);
      std::optional<compat::AutocastGuard> autocast;
      if (saved->autocast) autocast.emplace(x.device().type(), saved->autocast_dtype);
      out = saved->fn(input);
    }
    set_rng_states(gens, current);
    torch::autograd::backward({out}, {grads[0]});
    return {at::Tensor(), input.grad()};
  }
};

}  // namespace

at::Tensor checkpoint(const CheckpointedFn& fn, const at::Tensor& input) {
  if (!at::GradMode::is_enabled()) return fn(input);
  // The output must be part of the graph even when the input needs no gradient (a frozen
  // embedding feeding trainable blocks), or the parameters inside would never get theirs.
  const at::Tensor x = input.requires_grad() ? input : input.detach().requires_grad_(true);
  return CheckpointFunction::apply(&fn, x);
}

}  // namespace setok::nn
