#include "setok/nn/activation.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::nn {

Activation parse_activation(const std::string& name) {
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast") {
    return Activation::kGeluTanh;
  }
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "relu") return Activation::kRelu;
  if (name == "quick_gelu") return Activation::kQuickGelu;
  throw Error("unknown activation '" + name +
              "': expected gelu, gelu_pytorch_tanh, silu, relu or quick_gelu");
}

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::kGelu:
      return "gelu";
    case Activation::kGeluTanh:
      return "gelu_pytorch_tanh";
    case Activation::kSilu:
      return "silu";
    case Activation::kRelu:
      return "relu";
    case Activation::kQuickGelu:
      return "quick_gelu";
  }
  return "?";
}

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kGelu:
      return at::gelu(x);
    case Activation::kGeluTanh:
      return at::gelu(x, "tanh");
    case Activation::kSilu:
      return at::silu(x);
    case Activation::kRelu:
      return at::relu(x);
    case Activation::kQuickGelu:
      return x * at::sigmoid(1.702 * x);
  }
  throw Error("internal: unknown activation");
}

}  // namespace setok::nn
