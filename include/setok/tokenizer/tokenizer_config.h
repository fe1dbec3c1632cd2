#pragma once
// Config section `model.tokenizer`: clustering knobs and the token merger's shape.
#include <string>

#include "setok/config/schema.h"
#include "setok/tokenizer/dpc_knn.h"
#include "setok/tokenizer/token_merger.h"

namespace setok::tokenizer {

struct TokenizerConfig : config::Section {
  // How patches group into tokens: "dynamic" (DPC-KNN, SeTok) or "fixed" (a grid x grid of
  // cells, the ablation of tokenizer/fixed_grid.h)
  std::string mode = "dynamic";
  int64_t grid = 4;
  // DPC-KNN
  int64_t k = 5;
  double threshold = 0.5;
  int64_t min_clusters = 1;
  int64_t max_clusters = 0;
  std::string parent_distance = "global_max";
  bool tie_noise = true;
  // 2-D sin-cos position encoding added to the features before clustering and merging
  bool position_encoding = true;
  // token merger
  int64_t heads = 8;
  double mlp_ratio = 4.0;
  int64_t inner_depth = 2;
  int64_t inter_depth = 2;
  double dropout = 0.0;
  double attn_dropout = 0.0;
  std::string activation = "gelu";
  int64_t out_dim = 0;  // token width; 0 = the vision feature width
  std::string merge_mode = "batched";

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;

  DpcKnnOptions clustering() const;
  TokenMergerOptions merger(int64_t feature_dim) const;
};

}  // namespace setok::tokenizer
