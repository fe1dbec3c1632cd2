#include "setok/llm/llama_block.h"

#include <ATen/ATen.h>

namespace setok::llm {

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& c) : act_(nn::parse_activation(c.hidden_act)) {
  gate_proj =
      register_module("gate_proj", nn::LoraLinear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  up_proj =
      register_module("up_proj", nn::LoraLinear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  down_proj =
      register_module("down_proj", nn::LoraLinear(c.intermediate_size, c.hidden_size, c.mlp_bias));
}

at::Tensor LlamaMlpImpl::forward(const at::Tensor& x) {
  // [B, T, I] gated, then back to [B, T, D]
  return down_proj->forward(nn::activate(gate_proj->forward(x), act_) * up_proj->forward(x));
}

LlamaBlockImpl::LlamaBlockImpl(const LlamaConfig& c) {
  input_layernorm = register_module("input_layernorm", nn::RmsNorm(c.hidden_size, c.rms_norm_eps));
  self_attn = register_module("self_attn", LlamaAttention(c));
  post_attention_layernorm =
      register_module("post_attention_layernorm", nn::RmsNorm(c.hidden_size, c.rms_norm_eps));
  mlp = register_module("mlp", LlamaMlp(c));
}

at::Tensor LlamaBlockImpl::forward(const at::Tensor& x, const nn::RopeTables& rope,
                                   const AttentionMask& mask, KvCache* cache, int64_t layer) {
  const at::Tensor h =
      x + self_attn->forward(input_layernorm->forward(x), rope, mask, cache, layer);  // [B, T, D]
  return h + mlp->forward(post_attention_layernorm->forward(h));
}

}  // namespace setok::llm
