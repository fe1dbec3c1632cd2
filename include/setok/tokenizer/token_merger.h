#pragma once
// SeTok's token merger (DESIGN §5.5): an inner-cluster transformer runs over the members of each
// cluster and is mean-pooled into one vector per cluster; an inter-cluster transformer then runs
// over each image's cluster vectors, and a Linear maps them to the token width.
//
// Batched mode runs the inner transformer over every image's tokens at once, in place, with a
// block-diagonal attention mask (token i may attend to token j only when both are in the same
// cluster). Norms and MLPs act per token, so this is exactly "each cluster on its own" without
// gathering clusters into a padded batch: no padding waste however uneven the cluster sizes,
// no gather/scatter, and a fixed number of kernel launches. Cluster means come from one
// scatter-add. Loop mode runs the same modules one image and one cluster at a time (the released
// code's structure): the test oracle and benchmark baseline.
#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "setok/nn/transformer.h"

namespace setok::tokenizer {

enum class MergeMode { kBatched, kLoop };
MergeMode parse_merge_mode(const std::string& name);  // "batched" | "loop"

struct TokenMergerOptions {
  int64_t dim = 0;      // feature width C
  int64_t out_dim = 0;  // token width D (0 = C)
  int64_t heads = 8;
  int64_t mlp_hidden = 0;  // 0 = 4 C
  int64_t inner_depth = 2;
  int64_t inter_depth = 2;
  double dropout = 0.0;
  double attn_dropout = 0.0;
  nn::Activation activation = nn::Activation::kGelu;
  double layer_norm_eps = 1e-6;
};

struct MergedTokens {
  at::Tensor tokens;  // [B, L_max, D]; padded slots are zero
  at::Tensor mask;    // [B, L_max] bool, true for real tokens
};

class TokenMergerImpl : public torch::nn::Module {
 public:
  explicit TokenMergerImpl(const TokenMergerOptions& options);

  // x [B, N, C]; assignment [B, N] int64 in [0, counts[b]), or -1 for a masked token (letterbox
  // padding: it joins no cluster and reaches no token); counts [B] int64 with every cluster
  // non-empty. Tokens come in cluster-id order (ascending centre index).
  MergedTokens forward(const at::Tensor& x, const at::Tensor& assignment, const at::Tensor& counts,
                       MergeMode mode = MergeMode::kBatched);

  // Inner stage only: per-cluster vectors [B, L_max, C] (padded slots zero) and their mask.
  MergedTokens pool_clusters(const at::Tensor& x, const at::Tensor& assignment,
                             const at::Tensor& counts, MergeMode mode = MergeMode::kBatched);
  // Inter stage only: [B, L, C] + mask [B, L] -> [B, L, D] (padded slots zero; their input
  // values never reach real slots).
  at::Tensor inter(const at::Tensor& clusters, const at::Tensor& mask);

  const TokenMergerOptions& options() const { return options_; }

  nn::Transformer inner_encoder{nullptr};
  nn::Transformer inter_encoder{nullptr};
  torch::nn::Linear out{nullptr};

 private:
  void check(const at::Tensor& x, const at::Tensor& assignment, const at::Tensor& counts) const;
  MergedTokens pool_batched(const at::Tensor& x, const at::Tensor& assignment,
                            const at::Tensor& counts);
  static MergedTokens cluster_means(const at::Tensor& h, const at::Tensor& assignment,
                                    const at::Tensor& counts);
  MergedTokens pool_loop(const at::Tensor& x, const at::Tensor& assignment,
                         const at::Tensor& counts);
  TokenMergerOptions options_;
};
TORCH_MODULE(TokenMerger);

}  // namespace setok::tokenizer
