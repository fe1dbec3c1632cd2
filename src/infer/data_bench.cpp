#include "setok/infer/data_bench.h"

#include <sys/resource.h>
#include <unistd.h>

#include <functional>

#include <fmt/format.h>

#include "setok/data/datasets.h"
#include "setok/data/vqa_readers.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "setok/runtime/timing.h"

namespace setok::infer {

namespace fs = std::filesystem;

namespace {

const char* const kWords[] = {"yes", "no", "2", "red", "dog", "table", "white", "3"};

// Writes a JSON array of `n` elements (text from `element(i)`) under an optional top-level key,
// element by element.
void write_array(const fs::path& file, int64_t n, const std::string& key,
                 const std::string& extra_fields,
                 const std::function<std::string(int64_t)>& element) {
  io::AtomicFileWriter out(file);
  out.write(key.empty() ? "[" : "{" + extra_fields + "\"" + key + "\": [");
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) out.write(",\n");
    out.write(element(i));
  }
  out.write(key.empty() ? "]\n" : "]}\n");
  out.commit();
}

// VQAv2's shapes: ten answers per question, a question type and an answer type.
void write_vqav2_layout(const fs::path& dir, int64_t n) {
  const std::string subtype = "\"data_subtype\": \"train2014\", ";
  write_array(dir / "questions.json", n, "questions", subtype, [](int64_t i) {
    const int64_t image = 1 + i / 3, qid = image * 1000 + i % 3;
    return io::Json{{"image_id", image},
                    {"question", fmt::format("What is the color of object {}?", i)},
                    {"question_id", qid}}
        .dump();
  });
  write_array(dir / "annotations.json", n, "annotations", subtype, [](int64_t i) {
    const int64_t image = 1 + i / 3, qid = image * 1000 + i % 3;
    io::Json answers = io::Json::array();
    for (int k = 0; k < 10; ++k)
      answers.push_back({{"answer", kWords[(i + k / 4) % 8]},
                         {"answer_confidence", "yes"},
                         {"answer_id", k + 1}});
    return io::Json{{"question_type", "what color is the"},
                    {"multiple_choice_answer", kWords[i % 8]},
                    {"answers", std::move(answers)},
                    {"image_id", image},
                    {"answer_type", "other"},
                    {"question_id", qid}}
        .dump();
  });
}

// LLaVA-Instruct-150K's shapes: three rounds, questions of ~12 words, answers of ~60.
void write_llava_layout(const fs::path& dir, int64_t n) {
  write_array(dir / "llava.json", n, "", "", [](int64_t i) {
    auto words = [&](int64_t count, int64_t salt) {
      std::string s;
      for (int64_t w = 0; w < count; ++w)
        s += std::string(w ? " " : "") + kWords[(i * 7 + w * 3 + salt) % 8];
      return s;
    };
    io::Json turns = io::Json::array();
    for (int t = 0; t < 6; ++t) {
      const bool human = t % 2 == 0;
      turns.push_back({{"from", human ? "human" : "gpt"},
                       {"value", (t == 0 ? "<image>\n" : "") + words(human ? 12 : 60, t)}});
    }
    return io::Json{{"id", fmt::format("{:012d}", i)},
                    {"image", fmt::format("{:012d}.jpg", i)},
                    {"conversations", std::move(turns)}}
        .dump();
  });
}

double max_rss_mib() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

}  // namespace

DataBenchResult bench_data_reading(const DataBenchOptions& o) {
  if (o.records < 1 || o.iters < 1 || o.warmup < 0)
    throw Error("bench data: records and iters must be >= 1");
  if (o.layout != "vqav2" && o.layout != "llava")
    throw Error("bench data: --layout is vqav2 or llava, got '" + o.layout + "'");
  DataBenchResult r;
  r.options = o;
  const bool own = o.scratch.empty();
  const fs::path dir =
      own ? fs::temp_directory_path() / ("setok-bench-data-" + std::to_string(::getpid()))
          : o.scratch;
  fs::create_directories(dir);
  std::vector<fs::path> files;
  if (o.layout == "vqav2") {
    write_vqav2_layout(dir, o.records);
    files = {dir / "questions.json", dir / "annotations.json"};
  } else {
    write_llava_layout(dir, o.records);
    files = {dir / "llava.json"};
  }
  for (const auto& f : files) r.file_mib += static_cast<double>(fs::file_size(f)) / (1 << 20);
  const auto load = [&]() -> size_t {
    if (o.layout == "vqav2")
      return data::load_vqav2(files[0], files[1], dir, data::AnswerStyle::kShort).size();
    return data::load_instruct_dataset(files[0], dir).size();
  };
  const double rss_before = max_rss_mib();
  size_t loaded = load();  // also the first warm-up: the peak is the loader's
  r.peak_rss_mib = max_rss_mib() - rss_before;
  r.load_ms = runtime::median_ms(c10::Device(c10::kCPU), std::max<int64_t>(o.warmup - 1, 0),
                                 o.iters, [&] { loaded = load(); });
  if (own) fs::remove_all(dir);
  if (static_cast<int64_t>(loaded) != o.records)
    throw Error("bench data: loaded " + std::to_string(loaded) + " of " +
                std::to_string(o.records) + " records");
  r.records_per_s = static_cast<double>(o.records) / (r.load_ms / 1000.0);
  return r;
}

io::Json DataBenchResult::to_json() const {
  return {{"layout", options.layout},       {"records", options.records},
          {"file_mib", file_mib},           {"load_ms", load_ms},
          {"records_per_s", records_per_s}, {"peak_rss_mib", peak_rss_mib}};
}

std::string DataBenchResult::to_text() const {
  return fmt::format(
      "{} layout: {} records ({:.1f} MiB): loaded in {:.0f} ms (median of {}), {:.0f} "
      "records/s, peak memory +{:.0f} MiB\n",
      options.layout, options.records, file_mib, load_ms, options.iters, records_per_s,
      peak_rss_mib);
}

}  // namespace setok::infer
