#pragma once
// Multi-head attention with separate q/k/v/out projections (HF names q_proj, k_proj, v_proj,
// out_proj): self-attention, or cross-attention when a context is given. The kernel is
// nn::scaled_dot_product_attention. Masks are bool, true = may attend:
//   [B, S]     key padding (the same keys for every query), or
//   [B, L, S]  per query (e.g. block-diagonal: attend only within one's own group).
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace setok::nn {

struct AttentionOptions {
  int64_t dim = 0;  // query width (and output width)
  int64_t heads = 1;
  int64_t kv_dim = 0;  // context width for cross-attention; 0 = dim
  bool bias = true;
  double dropout = 0.0;  // on the attention weights, training only
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const AttentionOptions& options);

  // x [B, L, dim]; context [B, S, kv_dim] or undefined (self-attention: context = x);
  // mask [B, S] or [B, L, S] bool or undefined; causal: query i sees keys <= i.
  // Returns [B, L, dim].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context = {},
                     const at::Tensor& mask = {}, bool causal = false);

  const AttentionOptions& options() const { return options_; }

  torch::nn::Linear q_proj{nullptr};
  torch::nn::Linear k_proj{nullptr};
  torch::nn::Linear v_proj{nullptr};
  torch::nn::Linear out_proj{nullptr};

 private:
  AttentionOptions options_;
};
TORCH_MODULE(Attention);

// [B, S] -> [B, 1, 1, S] and [B, L, S] -> [B, 1, L, S] bool, for SDPA over [B, H, L, S];
// checks the shape. `who` names the caller in errors.
at::Tensor expand_attention_mask(const at::Tensor& mask, int64_t batch, int64_t queries,
                                 int64_t keys, const char* who);

}  // namespace setok::nn
