#pragma once
// `setok_bench data`: how fast a publisher-layout dataset loads. Writes a VQAv2-layout questions
// + annotations pair of `records` questions (ten answers each, as VQAv2 ships) into a scratch
// folder, then times load_vqav2 on it (parse both files, join answers to questions, build the
// conversations).
#include <filesystem>
#include <string>

#include "setok/io/json.h"

namespace setok::infer {

struct DataBenchOptions {
  int64_t records = 100000;
  int64_t iters = 3;
  int64_t warmup = 1;
  std::filesystem::path scratch;  // where the files go (empty = a fresh folder under /tmp)
};

struct DataBenchResult {
  DataBenchOptions options;
  double file_mib = 0;  // questions + annotations
  double load_ms = 0;   // median of `iters`
  double records_per_s = 0;
  io::Json to_json() const;
  std::string to_text() const;
};

DataBenchResult bench_vqa_reading(const DataBenchOptions& options);

}  // namespace setok::infer
