#pragma once
// One LLaMA decoder layer (HF LlamaDecoderLayer names):
//   h = x + self_attn(input_layernorm(x));  out = h + mlp(post_attention_layernorm(h))
// with the SwiGLU MLP down_proj(act(gate_proj(x)) * up_proj(x)).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/llm/llama_attention.h"
#include "setok/nn/activation.h"
#include "setok/nn/rms_norm.h"

namespace setok::llm {

class LlamaMlpImpl : public torch::nn::Module {
 public:
  explicit LlamaMlpImpl(const LlamaConfig& config);
  at::Tensor forward(const at::Tensor& x);  // [B, T, D] -> [B, T, D]

  nn::LoraLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  nn::Activation act_;
};
TORCH_MODULE(LlamaMlp);

class LlamaBlockImpl : public torch::nn::Module {
 public:
  explicit LlamaBlockImpl(const LlamaConfig& config);
  // x [B, T, D] -> [B, T, D]
  at::Tensor forward(const at::Tensor& x, const nn::RopeTables& rope, const AttentionMask& mask,
                     KvCache* cache, int64_t layer);

  nn::RmsNorm input_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  nn::RmsNorm post_attention_layernorm{nullptr};
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaBlock);

}  // namespace setok::llm
