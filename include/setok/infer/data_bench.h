#pragma once
// `setok_bench data`: how fast, and in how much memory, a publisher-layout dataset loads. Writes
// a dataset of `records` records into a scratch folder (streamed, so writing it costs no
// memory), then times its reader and records the peak resident memory the loading adds:
//   vqav2: a VQAv2 questions + annotations pair (ten answers per question, as VQAv2 ships),
//          read by load_vqav2 (parse both files, join answers to questions, build the prompts);
//   llava: a LLaVA-Instruct-layout conversation file (six turns of LLaVA-like length per
//          record), read by load_instruct_dataset.
#include <filesystem>
#include <string>

#include "setok/io/json.h"

namespace setok::infer {

struct DataBenchOptions {
  std::string layout = "vqav2";  // vqav2 | llava
  int64_t records = 100000;
  int64_t iters = 3;
  int64_t warmup = 1;
  std::filesystem::path scratch;  // where the files go (empty = a fresh folder under /tmp)
};

struct DataBenchResult {
  DataBenchOptions options;
  double file_mib = 0;  // the files read
  double load_ms = 0;   // median of `iters`
  double records_per_s = 0;
  // How far loading raised the process's peak resident memory (the mapped file counts while it
  // is read); loading runs first thing after writing, so this is the loader's own peak.
  double peak_rss_mib = 0;
  io::Json to_json() const;
  std::string to_text() const;
};

DataBenchResult bench_data_reading(const DataBenchOptions& options);

}  // namespace setok::infer
