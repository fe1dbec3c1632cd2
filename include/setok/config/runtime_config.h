#pragma once
// Sections every app's config shares: where and how to run (`runtime`) and what to log (`log`).
#include <filesystem>
#include <string>

#include <c10/core/Device.h>

#include "setok/config/schema.h"

namespace setok::config {

struct RuntimeConfig : Section {
  std::string device = "cpu";  // cpu, cuda, cuda:N
  int threads = 0;             // ATen intra-op threads; 0 = all cores
  int64_t seed = 0;            // seeds torch and every generator of ours
  bool tf32 = true;            // CUDA: TF32 tensor cores for float32 matmuls / convolutions

  void describe(Schema& s) override;
  void validate(const std::string& path) const override;

  // Seeds everything (runtime::seed_all), sets ATen's thread count, sets TF32 on CUDA and
  // returns the resolved device (an error when it is not available). Call before building models:
  // generators of ours are derived from the seed when they are created.
  c10::Device apply() const;
};

struct LogConfig : Section {
  std::string level = "info";
  bool all_ranks = false;   // let ranks other than 0 log below warnings too
  int every = 10;           // progress / metrics period, in steps
  bool tensorboard = true;  // RUN/tensorboard/ event files and RUN/curves.png

  void describe(Schema& s) override;
  void validate(const std::string& path) const override;

  // Configures the default logger for this process (also appending to `file` when given).
  void apply(int rank = 0, int world_size = 1, const std::filesystem::path& file = {}) const;
};

// Multi-process training (DESIGN §5.13). Who the process is comes from the launcher's
// environment (torchrun / Slurm variables, scripts/launch.sh); this section says how the ranks
// talk.
struct DistConfig : Section {
  std::string backend = "auto";  // auto (NCCL on CUDA, Gloo on CPU) | gloo | nccl
  double timeout_s = 300;        // rendezvous and every collective; a dead rank ends the run
  double bucket_mb = 25;         // gradient all-reduce bucket size
  bool overlap = true;           // all-reduce during backward (c10d Reducer) where it applies

  void describe(Schema& s) override;
  void validate(const std::string& path) const override;
};

}  // namespace setok::config
