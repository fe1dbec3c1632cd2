#include "setok/llm/llama_attention.h"

#include <ATen/ATen.h>

#include "setok/llm/kv_cache.h"
#include "setok/nn/sdpa.h"

namespace setok::llm {

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& c)
    : heads_(c.num_attention_heads),
      kv_heads_(c.kv_heads()),
      head_dim_(c.head_size()),
      dropout_(c.attention_dropout) {
  const int64_t D = c.hidden_size;
  q_proj = register_module("q_proj", nn::LoraLinear(D, heads_ * head_dim_, c.attention_bias));
  k_proj = register_module("k_proj", nn::LoraLinear(D, kv_heads_ * head_dim_, c.attention_bias));
  v_proj = register_module("v_proj", nn::LoraLinear(D, kv_heads_ * head_dim_, c.attention_bias));
  o_proj = register_module("o_proj", nn::LoraLinear(heads_ * head_dim_, D, c.attention_bias));
}

at::Tensor LlamaAttentionImpl::forward(const at::Tensor& x, const nn::RopeTables& rope,
                                       const AttentionMask& mask, KvCache* cache, int64_t layer) {
  const int64_t B = x.size(0), T = x.size(1), E = head_dim_;
  // [B, T, H*E] -> [B, H, T, E]
  auto split = [&](const at::Tensor& t, int64_t h) { return t.view({B, T, h, E}).transpose(1, 2); };
  at::Tensor q = nn::apply_rope(split(q_proj->forward(x), heads_), rope);     // [B, H, T, E]
  at::Tensor k = nn::apply_rope(split(k_proj->forward(x), kv_heads_), rope);  // [B, Hkv, T, E]
  at::Tensor v = split(v_proj->forward(x), kv_heads_);                        // [B, Hkv, T, E]
  if (cache != nullptr) std::tie(k, v) = cache->append(layer, k, v);          // [B, Hkv, S, E]
  if (kv_heads_ != heads_) {
    // Query head h reads key/value head h / (H / Hkv), as HF's repeat_kv.
    const int64_t rep = heads_ / kv_heads_, S = k.size(2);
    k = k.unsqueeze(2).expand({B, kv_heads_, rep, S, E}).reshape({B, heads_, S, E});
    v = v.unsqueeze(2).expand({B, kv_heads_, rep, S, E}).reshape({B, heads_, S, E});
  }
  nn::SdpaOptions sdpa;
  sdpa.mask = mask.mask;
  sdpa.causal = !mask.mask.defined() && mask.causal;
  sdpa.dropout_p = is_training() ? dropout_ : 0.0;
  const at::Tensor o = nn::scaled_dot_product_attention(q, k, v, sdpa);   // [B, H, T, E]
  return o_proj->forward(o.transpose(1, 2).reshape({B, T, heads_ * E}));  // [B, T, D]
}

}  // namespace setok::llm
