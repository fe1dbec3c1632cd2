#pragma once
// Activation functions by name, with HF's spellings ("gelu", "gelu_pytorch_tanh", "silu", ...).
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::nn {

enum class Activation { kGelu, kGeluTanh, kSilu, kRelu, kQuickGelu };

// Accepts gelu, gelu_pytorch_tanh / gelu_new / gelu_fast (tanh approximation), silu / swish,
// relu, quick_gelu. Throws setok::Error naming the accepted names otherwise.
Activation parse_activation(const std::string& name);
std::string activation_name(Activation activation);

at::Tensor activate(const at::Tensor& x, Activation activation);

}  // namespace setok::nn
