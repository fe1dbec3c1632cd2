#pragma once
// Pre-norm transformer block and a stack of them, with HF ViT / SigLIP member names
// (layer_norm1, self_attn, layer_norm2, mlp; stack: layers.N) so SigLIP checkpoints load with
// a prefix-only name map:
//   x = x + drop(self_attn(layer_norm1(x)));  x = x + mlp(layer_norm2(x))
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "setok/nn/activation.h"
#include "setok/nn/attention.h"
#include "setok/nn/mlp.h"

namespace setok::nn {

struct TransformerOptions {
  int64_t dim = 0;
  int64_t heads = 1;
  int64_t mlp_hidden = 0;  // 0 = 4 x dim
  Activation activation = Activation::kGelu;
  double layer_norm_eps = 1e-6;
  double dropout = 0.0;       // after attention and inside the MLP
  double attn_dropout = 0.0;  // on attention weights
  bool bias = true;
};

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerOptions& options);
  // x [B, L, D]; mask [B, L] (key padding) or [B, L, L] (per query) bool, or undefined
  // -> [B, L, D]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask = {}, bool causal = false);

  torch::nn::LayerNorm layer_norm1{nullptr};
  Attention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm2{nullptr};
  Mlp mlp{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(TransformerBlock);

class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(const TransformerOptions& options, int64_t depth);

  // Runs the first `upto` blocks (all when upto < 0). When `hidden_states` is given it receives
  // the input followed by every block's output ([B, L, D] each).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask = {}, bool causal = false,
                     int64_t upto = -1, std::vector<at::Tensor>* hidden_states = nullptr);

  int64_t depth() const { return static_cast<int64_t>(layers->size()); }
  TransformerBlock block(int64_t i) const;
  // Recompute each block's activations in backward instead of storing them (training with
  // grad mode on only; nn/checkpoint).
  void set_activation_checkpointing(bool on) { checkpointing_ = on; }
  bool activation_checkpointing() const { return checkpointing_; }

  torch::nn::ModuleList layers{nullptr};

 private:
  bool checkpointing_ = false;
};
TORCH_MODULE(Transformer);

// Turns activation checkpointing on or off for every nn::Transformer under `root`; returns how
// many stacks it found.
int64_t set_activation_checkpointing(torch::nn::Module& root, bool on);

}  // namespace setok::nn
