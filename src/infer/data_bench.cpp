#include "setok/infer/data_bench.h"

#include <unistd.h>

#include <fmt/format.h>

#include "setok/data/vqa_readers.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "setok/runtime/timing.h"

namespace setok::infer {

namespace fs = std::filesystem;

namespace {

// VQAv2's shapes: ten answers per question, a question type and an answer type.
void write_vqav2_layout(const fs::path& dir, int64_t n) {
  static const char* kWords[] = {"yes", "no", "2", "red", "dog", "table", "white", "3"};
  io::Json questions = io::Json::array(), annotations = io::Json::array();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t image = 1 + i / 3, qid = image * 1000 + i % 3;
    questions.push_back({{"image_id", image},
                         {"question", fmt::format("What is the color of object {}?", i)},
                         {"question_id", qid}});
    io::Json answers = io::Json::array();
    for (int k = 0; k < 10; ++k)
      answers.push_back({{"answer", kWords[(i + k / 4) % 8]},
                         {"answer_confidence", "yes"},
                         {"answer_id", k + 1}});
    annotations.push_back({{"question_type", "what color is the"},
                           {"multiple_choice_answer", kWords[i % 8]},
                           {"answers", std::move(answers)},
                           {"image_id", image},
                           {"answer_type", "other"},
                           {"question_id", qid}});
  }
  io::write_json(dir / "questions.json",
                 {{"data_subtype", "train2014"}, {"questions", std::move(questions)}});
  io::write_json(dir / "annotations.json",
                 {{"data_subtype", "train2014"}, {"annotations", std::move(annotations)}});
}

}  // namespace

DataBenchResult bench_vqa_reading(const DataBenchOptions& o) {
  if (o.records < 1 || o.iters < 1 || o.warmup < 0)
    throw Error("bench data: records and iters must be >= 1");
  DataBenchResult r;
  r.options = o;
  const bool own = o.scratch.empty();
  const fs::path dir =
      own ? fs::temp_directory_path() / ("setok-bench-data-" + std::to_string(::getpid()))
          : o.scratch;
  fs::create_directories(dir);
  write_vqav2_layout(dir, o.records);
  r.file_mib = static_cast<double>(fs::file_size(dir / "questions.json") +
                                   fs::file_size(dir / "annotations.json")) /
               (1 << 20);
  size_t loaded = 0;
  r.load_ms = runtime::median_ms(c10::Device(c10::kCPU), o.warmup, o.iters, [&] {
    loaded = data::load_vqav2(dir / "questions.json", dir / "annotations.json", dir,
                              data::AnswerStyle::kShort)
                 .size();
  });
  if (own) fs::remove_all(dir);
  if (static_cast<int64_t>(loaded) != o.records)
    throw Error("bench data: loaded " + std::to_string(loaded) + " of " +
                std::to_string(o.records) + " records");
  r.records_per_s = static_cast<double>(o.records) / (r.load_ms / 1000.0);
  return r;
}

io::Json DataBenchResult::to_json() const {
  return {{"layout", "vqav2"},
          {"records", options.records},
          {"file_mib", file_mib},
          {"load_ms", load_ms},
          {"records_per_s", records_per_s}};
}

std::string DataBenchResult::to_text() const {
  return fmt::format(
      "vqav2 layout: {} questions + annotations ({:.1f} MiB): loaded in {:.0f} ms (median of {}), "
      "{:.0f} records/s\n",
      options.records, file_mib, load_ms, options.iters, records_per_s);
}

}  // namespace setok::infer
