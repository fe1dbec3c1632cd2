#pragma once
// Learning-rate schedules: linear warm-up, then cosine decay to min_lr (or constant).
#include <cstdint>
#include <string>

namespace setok::train {

struct LrSchedule {
  double lr = 1e-4;
  double min_lr = 0.0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  std::string kind = "cosine";  // cosine | constant

  // Learning rate for optimizer step `step` (0-based): (step + 1) / warmup * lr during warm-up.
  double at(int64_t step) const;
};

}  // namespace setok::train
