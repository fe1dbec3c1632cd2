#include "setok/tokenizer/tokenizer_config.h"

#include <cmath>

#include "setok/nn/activation.h"
#include "setok/runtime/error.h"

namespace setok::tokenizer {

void TokenizerConfig::describe(config::Schema& s) {
  s.choice("mode", mode, {"dynamic", "fixed"},
           "how patches group into tokens: dynamic (DPC-KNN clusters, SeTok) or fixed (a grid x "
           "grid of cells; the ablation)");
  s.field("grid", grid, "fixed mode: cells per side (grid^2 tokens per image)");
  s.field("k", k, "DPC-KNN: neighbours in the density estimate");
  s.field("threshold", threshold, "DPC-KNN: score threshold for a cluster centre");
  s.field("min_clusters", min_clusters, "DPC-KNN: centres taken when no score passes");
  s.field("max_clusters", max_clusters, "DPC-KNN: cap on centres per image (0 = none)");
  s.choice("parent_distance", parent_distance, {"column_max", "global_max"},
           "DPC-KNN: parent distance of the densest points: global_max (TCFormer's per-image "
           "maximum) or column_max (the released code's per-column maximum, for parity)");
  s.field("tie_noise", tie_noise, "DPC-KNN: add U(0, 1e-6) seeded noise to break density ties");
  s.field("position_encoding", position_encoding, "add the 2-D sin-cos position encoding");
  s.field("heads", heads, "merger: attention heads");
  s.field("mlp_ratio", mlp_ratio, "merger: MLP width / feature width");
  s.field("inner_depth", inner_depth, "merger: inner-cluster transformer blocks");
  s.field("inter_depth", inter_depth, "merger: inter-cluster transformer blocks");
  s.field("dropout", dropout, "merger: dropout after attention and in the MLP");
  s.field("attn_dropout", attn_dropout, "merger: dropout on attention weights");
  s.field("activation", activation, "merger: MLP activation");
  s.field("out_dim", out_dim, "token width (0 = vision feature width)");
  s.choice("merge_mode", merge_mode, {"batched", "loop"},
           "batched (fast) or loop (per image and cluster; oracle / baseline)");
}

void TokenizerConfig::validate(const std::string& path) const {
  auto at = [&](const char* key) { return config::join(path, key); };
  if (k < 1) config::fail(at("k"), "must be >= 1");
  if (grid < 1) config::fail(at("grid"), "must be >= 1");
  if (min_clusters < 1) config::fail(at("min_clusters"), "must be >= 1");
  if (max_clusters < 0) config::fail(at("max_clusters"), "must be >= 0 (0 = no cap)");
  if (max_clusters > 0 && max_clusters < min_clusters) {
    config::fail(at("max_clusters"), "must be >= min_clusters");
  }
  if (!std::isfinite(threshold)) config::fail(at("threshold"), "must be finite");
  if (heads < 1) config::fail(at("heads"), "must be >= 1");
  if (mlp_ratio <= 0) config::fail(at("mlp_ratio"), "must be > 0");
  if (inner_depth < 0 || inter_depth < 0) config::fail(at("inner_depth"), "depths must be >= 0");
  if (dropout < 0 || dropout >= 1) config::fail(at("dropout"), "must be in [0, 1)");
  if (attn_dropout < 0 || attn_dropout >= 1) config::fail(at("attn_dropout"), "must be in [0, 1)");
  if (out_dim < 0) config::fail(at("out_dim"), "must be >= 0");
  try {
    nn::parse_activation(activation);
  } catch (const Error& e) {
    config::fail(at("activation"), e.what());
  }
}

DpcKnnOptions TokenizerConfig::clustering() const {
  DpcKnnOptions o;
  o.k = k;
  o.threshold = threshold;
  o.min_clusters = min_clusters;
  o.max_clusters = max_clusters;
  o.parent_distance = parse_parent_distance(parent_distance);
  o.tie_noise = tie_noise;
  return o;
}

TokenMergerOptions TokenizerConfig::merger(int64_t feature_dim) const {
  TokenMergerOptions o;
  o.dim = feature_dim;
  o.out_dim = out_dim;
  o.heads = heads;
  o.mlp_hidden = static_cast<int64_t>(std::llround(mlp_ratio * static_cast<double>(feature_dim)));
  o.inner_depth = inner_depth;
  o.inter_depth = inter_depth;
  o.dropout = dropout;
  o.attn_dropout = attn_dropout;
  o.activation = nn::parse_activation(activation);
  return o;
}

}  // namespace setok::tokenizer
