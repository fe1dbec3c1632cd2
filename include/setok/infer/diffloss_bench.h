#pragma once
// `setok_bench diffloss`: wall time of DiffLoss sampling (the full respaced reverse process)
// for a batch of tokens, and of one training-loss forward + backward.
#include <string>

#include "setok/io/json.h"

namespace setok::infer {

struct DiffLossBenchOptions {
  int64_t tokens = 256;
  int64_t target_channels = 16;
  int64_t z_channels = 768;
  int64_t width = 1024;
  int64_t depth = 3;
  std::string steps = "100";
  int64_t iters = 3;
  int64_t warmup = 1;
};

struct DiffLossBenchResult {
  std::string device;
  DiffLossBenchOptions options;
  int64_t sampling_steps = 0;
  double sample_ms = 0;      // one sample() call for `tokens` rows (median)
  double train_step_ms = 0;  // loss forward + backward for `tokens` rows (median)
  io::Json to_json() const;
  std::string to_text() const;
};

DiffLossBenchResult bench_diffloss(const c10::Device& device, const DiffLossBenchOptions& options);

}  // namespace setok::infer
