#pragma once
// LLaMA self-attention (HF names q_proj, k_proj, v_proj, o_proj): grouped-query attention with
// RoPE applied to queries and keys, optional KV cache.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/llm/llama_config.h"
#include "setok/nn/lora.h"
#include "setok/nn/rope.h"

namespace setok::llm {

class KvCache;

// How a forward pass masks attention, shared by every layer:
//   mask   [B, 1, T, S] bool (true = may attend) or undefined;
//   causal query i sees keys j <= i (only used without a mask and without a cache).
struct AttentionMask {
  at::Tensor mask;
  bool causal = true;
};

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const LlamaConfig& config);

  // x [B, T, D] -> [B, T, D]. With a cache, the new keys / values are appended for `layer` and
  // attention runs over the cached prefix plus the new positions.
  at::Tensor forward(const at::Tensor& x, const nn::RopeTables& rope, const AttentionMask& mask,
                     KvCache* cache, int64_t layer);

  nn::LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t heads_, kv_heads_, head_dim_;
  double dropout_;
};
TORCH_MODULE(LlamaAttention);

}  // namespace setok::llm
