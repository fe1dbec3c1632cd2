#pragma once
// Activation checkpointing (LibTorch has no torch.utils.checkpoint): run a block without
// keeping its intermediate activations, and recompute them in the backward pass. The
// recomputation restores the RNG state (dropout masks repeat exactly) and the autocast state of
// the forward pass, so gradients are identical to an ordinary forward + backward.
//
// The block is a function of one tensor. Everything else it reads (module parameters, masks,
// RoPE tables) is captured — by value: the function is copied and kept until the backward pass.
// Parameters receive their gradients through the recomputation; other captured tensors must
// not need gradients.
#include <functional>

#include <ATen/core/Tensor.h>

namespace setok::nn {

using CheckpointedFn = std::function<at::Tensor(const at::Tensor&)>;

// fn(input) when grad mode is off (nothing to save anyway); otherwise the checkpointed call.
at::Tensor checkpoint(const CheckpointedFn& fn, const at::Tensor& input);

}  // namespace setok::nn
