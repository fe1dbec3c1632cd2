#include "setok/nn/attention.h"

#include <ATen/ATen.h>

#include "setok/nn/sdpa.h"
#include "setok/runtime/error.h"

namespace setok::nn {

AttentionImpl::AttentionImpl(const AttentionOptions& options) : options_(options) {
  if (options.dim <= 0 || options.heads <= 0 || options.dim % options.heads != 0) {
    throw Error("Attention: dim " + std::to_string(options.dim) +
                " must be a positive multiple of heads " + std::to_string(options.heads));
  }
  const int64_t kv = options.kv_dim > 0 ? options.kv_dim : options.dim;
  auto linear = [&](int64_t in) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, options.dim).bias(options.bias));
  };
  q_proj = register_module("q_proj", linear(options.dim));
  k_proj = register_module("k_proj", linear(kv));
  v_proj = register_module("v_proj", linear(kv));
  out_proj = register_module("out_proj", linear(options.dim));
}

at::Tensor expand_attention_mask(const at::Tensor& mask, int64_t batch, int64_t queries,
                                 int64_t keys, const char* who) {
  if (!mask.defined()) return {};
  if (mask.dim() == 2 && mask.size(0) == batch && mask.size(1) == keys) {
    return mask.to(at::kBool).view({batch, 1, 1, keys});
  }
  if (mask.dim() == 3 && mask.size(0) == batch && mask.size(1) == queries && mask.size(2) == keys) {
    return mask.to(at::kBool).unsqueeze(1);
  }
  throw Error(std::string(who) + ": mask must be [" + std::to_string(batch) + ", " +
              std::to_string(keys) + "] or [" + std::to_string(batch) + ", " +
              std::to_string(queries) + ", " + std::to_string(keys) + "], got " +
              c10::str(mask.sizes()));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& context,
                                  const at::Tensor& mask, bool causal) {
  const at::Tensor& ctx = context.defined() ? context : x;
  if (x.dim() != 3 || ctx.dim() != 3 || x.size(0) != ctx.size(0)) {
    throw Error("Attention: expected x [B, L, D] and context [B, S, Dkv], got " +
                c10::str(x.sizes()) + " and " + c10::str(ctx.sizes()));
  }
  const int64_t B = x.size(0), L = x.size(1), S = ctx.size(1), H = options_.heads;
  const int64_t E = options_.dim / H;
  // [B, L, D] -> [B, H, L, E]
  auto heads = [&](const at::Tensor& t, int64_t len) {
    return t.view({B, len, H, E}).transpose(1, 2);
  };
  const at::Tensor q = heads(q_proj->forward(x), L);    // [B, H, L, E]
  const at::Tensor k = heads(k_proj->forward(ctx), S);  // [B, H, S, E]
  const at::Tensor v = heads(v_proj->forward(ctx), S);  // [B, H, S, E]
  SdpaOptions sdpa;
  sdpa.mask = expand_attention_mask(mask, B, L, S, "Attention");
  sdpa.causal = causal;
  sdpa.dropout_p = is_training() ? options_.dropout : 0.0;
  const at::Tensor o = scaled_dot_product_attention(q, k, v, sdpa);           // [B, H, L, E]
  return out_proj->forward(o.transpose(1, 2).reshape({B, L, options_.dim}));  // [B, L, D]
}

}  // namespace setok::nn
