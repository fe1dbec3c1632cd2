#pragma once
// Logging through spdlog's default logger. Messages carry a rank prefix in multi-process runs;
// ranks other than 0 only print warnings and errors unless asked otherwise, so a 16-rank job
// does not print every line 16 times.
#include <filesystem>
#include <string>

namespace setok::runtime {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, off
  int rank = 0;
  int world_size = 1;
  bool all_ranks = false;      // non-zero ranks log at `level` too
  std::filesystem::path file;  // also append to this file when non-empty
};

// (Re)configures the default logger. Throws setok::Error for an unknown level.
void init_logging(const LogOptions& options);

// The prefix put before every message, e.g. "[rank 3/8] " (empty for single-process runs).
std::string rank_prefix(int rank, int world_size);

}  // namespace setok::runtime
