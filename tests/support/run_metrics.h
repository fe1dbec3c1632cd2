#pragma once
// A run's metrics.jsonl rows without the timing fields (throughputs, data wait), for comparing
// two runs' losses exactly.
#include <filesystem>
#include <vector>

#include "setok/io/json.h"
#include "setok/runtime/strings.h"

namespace setok::test {

inline std::vector<io::Json> loss_rows(const std::filesystem::path& run_dir) {
  std::vector<io::Json> rows = io::read_jsonl(run_dir / "metrics.jsonl");
  for (auto& r : rows) {
    std::vector<std::string> timing;
    for (const auto& [key, value] : r.items()) {
      if (runtime::ends_with(key, "_per_s") || key == "data_wait_fraction") timing.push_back(key);
    }
    for (const auto& key : timing) r.erase(key);
  }
  return rows;
}

}  // namespace setok::test
