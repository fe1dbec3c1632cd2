#include "setok/tokenizer/token_merger.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::tokenizer {

MergeMode parse_merge_mode(const std::string& name) {
  if (name == "batched") return MergeMode::kBatched;
  if (name == "loop") return MergeMode::kLoop;
  throw Error("merge mode must be batched or loop, got '" + name + "'");
}

TokenMergerImpl::TokenMergerImpl(const TokenMergerOptions& o) : options_(o) {
  nn::TransformerOptions t;
  t.dim = o.dim;
  t.heads = o.heads;
  t.mlp_hidden = o.mlp_hidden;
  t.activation = o.activation;
  t.layer_norm_eps = o.layer_norm_eps;
  t.dropout = o.dropout;
  t.attn_dropout = o.attn_dropout;
  inner_encoder = register_module("inner_encoder", nn::Transformer(t, o.inner_depth));
  inter_encoder = register_module("inter_encoder", nn::Transformer(t, o.inter_depth));
  out = register_module("out", torch::nn::Linear(o.dim, o.out_dim > 0 ? o.out_dim : o.dim));
}

void TokenMergerImpl::check(const at::Tensor& x, const at::Tensor& assignment,
                            const at::Tensor& counts) const {
  if (!x.defined() || x.dim() != 3 || x.size(2) != options_.dim) {
    throw Error("token merger: expected features [B, N, " + std::to_string(options_.dim) +
                "], got " + (x.defined() ? c10::str(x.sizes()) : "undefined"));
  }
  const int64_t B = x.size(0), N = x.size(1);
  if (!assignment.defined() || assignment.sizes() != at::IntArrayRef({B, N}) ||
      assignment.scalar_type() != at::kLong) {
    throw Error("token merger: assignment must be int64 [" + std::to_string(B) + ", " +
                std::to_string(N) + "]");
  }
  if (!counts.defined() || counts.sizes() != at::IntArrayRef({B}) ||
      counts.scalar_type() != at::kLong) {
    throw Error("token merger: counts must be int64 [" + std::to_string(B) + "]");
  }
  if (B == 0) return;
  if (counts.min().item<int64_t>() < 1) throw Error("token merger: every image needs a cluster");
  if (assignment.min().item<int64_t>() < -1 ||
      (assignment >= counts.unsqueeze(1)).any().item<bool>()) {
    throw Error("token merger: assignment ids must be in [0, counts[b]) (or -1 for masked tokens)");
  }
}

MergedTokens TokenMergerImpl::cluster_means(const at::Tensor& h, const at::Tensor& assignment,
                                            const at::Tensor& counts) {
  const int64_t B = h.size(0), N = h.size(1), C = h.size(2);
  const int64_t L = counts.max().item<int64_t>();
  // Masked tokens (-1) go to a spare slot L that is dropped afterwards.
  const at::Tensor slot = assignment.masked_fill(assignment < 0, L);  // [B, N]
  const at::Tensor index = slot.unsqueeze(2).expand({B, N, C});       // [B, N, C]
  const at::Tensor sums =
      at::zeros({B, L + 1, C}, h.options()).scatter_add(1, index, h).narrow(1, 0, L);  // [B, L, C]
  const at::Tensor sizes = at::zeros({B, L + 1}, h.options())
                               .scatter_add(1, slot, at::ones({B, N}, h.options()))
                               .narrow(1, 0, L);  // [B, L]
  MergedTokens out;
  out.mask = at::arange(L, assignment.options()).unsqueeze(0) < counts.unsqueeze(1);  // [B, L]
  if ((sizes.eq(0) & out.mask).any().item<bool>()) {
    throw Error("token merger: a cluster has no members");
  }
  out.tokens = sums / sizes.clamp_min(1).unsqueeze(2);  // [B, L, C]; padded slots stay zero
  return out;
}

MergedTokens TokenMergerImpl::pool_batched(const at::Tensor& x, const at::Tensor& assignment,
                                           const at::Tensor& counts) {
  // Block-diagonal mask: i attends to j only within one cluster (always includes i itself).
  const at::Tensor same = assignment.unsqueeze(2) == assignment.unsqueeze(1);  // [B, N, N]
  const at::Tensor h = inner_encoder->forward(x, same);                        // [B, N, C]
  return cluster_means(h, assignment, counts);
}

MergedTokens TokenMergerImpl::pool_loop(const at::Tensor& x, const at::Tensor& assignment,
                                        const at::Tensor& counts) {
  const int64_t B = x.size(0);
  const int64_t L = counts.max().item<int64_t>();
  std::vector<at::Tensor> images;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<at::Tensor> clusters;
    for (int64_t l = 0; l < counts[b].item<int64_t>(); ++l) {
      const at::Tensor idx = (assignment[b] == l).nonzero().view(-1);  // members, raster order
      if (idx.numel() == 0) throw Error("token merger: a cluster has no members");
      const at::Tensor members = x[b].index_select(0, idx).unsqueeze(0);       // [1, m, C]
      clusters.push_back(inner_encoder->forward(members).mean(1).squeeze(0));  // [C]
    }
    at::Tensor stacked = at::stack(clusters);                                        // [L_b, C]
    images.push_back(at::constant_pad_nd(stacked, {0, 0, 0, L - stacked.size(0)}));  // [L, C]
  }
  MergedTokens out;
  out.tokens = at::stack(images);  // [B, L, C]
  out.mask = at::arange(L, assignment.options()).unsqueeze(0) < counts.unsqueeze(1);
  return out;
}

MergedTokens TokenMergerImpl::pool_clusters(const at::Tensor& x, const at::Tensor& assignment,
                                            const at::Tensor& counts, MergeMode mode) {
  check(x, assignment, counts);
  return mode == MergeMode::kBatched ? pool_batched(x, assignment, counts)
                                     : pool_loop(x, assignment, counts);
}

at::Tensor TokenMergerImpl::inter(const at::Tensor& clusters, const at::Tensor& mask) {
  const at::Tensor h = inter_encoder->forward(clusters, mask);               // [B, L, C]
  return out->forward(h).masked_fill(mask.logical_not().unsqueeze(2), 0.0);  // [B, L, D]
}

MergedTokens TokenMergerImpl::forward(const at::Tensor& x, const at::Tensor& assignment,
                                      const at::Tensor& counts, MergeMode mode) {
  MergedTokens pooled = pool_clusters(x, assignment, counts, mode);
  if (mode == MergeMode::kBatched) {
    pooled.tokens = inter(pooled.tokens, pooled.mask);
    return pooled;
  }
  // Loop mode: the inter stage per image too, without padding.
  std::vector<at::Tensor> rows;
  const int64_t L = pooled.tokens.size(1);
  for (int64_t b = 0; b < x.size(0); ++b) {
    const int64_t n = counts[b].item<int64_t>();
    const at::Tensor h = inter_encoder->forward(pooled.tokens[b].narrow(0, 0, n).unsqueeze(0));
    const at::Tensor t = out->forward(h).squeeze(0);           // [L_b, D]
    rows.push_back(at::constant_pad_nd(t, {0, 0, 0, L - n}));  // [L, D]
  }
  pooled.tokens = at::stack(rows);
  return pooled;
}

}  // namespace setok::tokenizer
