#pragma once
// `setok_bench tokenizer`: the batched tokenizer against its loop mode (per-image clustering,
// per-cluster merging: the released code's structure) on the same weights and images.
#include <string>

#include "setok/io/json.h"
#include "setok/tokenizer/setok_tokenizer.h"

namespace setok::infer {

struct TokenizerBenchOptions {
  int64_t batch = 8;
  int64_t iters = 5;
  int64_t warmup = 2;
  uint64_t seed = 0;
};

struct ModeTiming {
  double tower_ms = 0;          // vision tower per batch
  double cluster_merge_ms = 0;  // clustering + merger per batch
  double images_per_s() const;  // whole tokenizer
  double cluster_merge_images_per_s(int64_t batch) const;
  int64_t batch = 0;
};

struct TokenizerBenchResult {
  std::string device;
  int64_t batch = 0;
  int64_t image_size = 0;
  int64_t patches = 0;
  int64_t feature_dim = 0;
  double mean_tokens = 0;
  ModeTiming batched, loop;
  io::Json to_json() const;
  std::string to_text() const;
};

// Synthetic block images (random background and rectangles, the tower's input size) on
// `device`; median of `iters` timed batches per part.
TokenizerBenchResult bench_tokenizer(tokenizer::SetokTokenizerImpl& tokenizer,
                                     const c10::Device& device, const TokenizerBenchOptions& o);

}  // namespace setok::infer
