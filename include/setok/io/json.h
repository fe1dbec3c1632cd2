#pragma once
// JSON and JSON-Lines files with errors that say which file, line and column is wrong.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace setok::io {

using Json = nlohmann::json;

// Parses `text` (from `label`); a syntax error becomes setok::Error("<label>:<line>:<col>: ...").
Json parse_json(const std::string& text, const std::string& label);

// Whole-file JSON. Errors name the file (missing, unreadable, malformed with line:column).
Json read_json(const std::filesystem::path& path);

// One JSON value per non-empty line. Errors name the file and line.
std::vector<Json> read_jsonl(const std::filesystem::path& path);

// Pretty-printed JSON written atomically.
void write_json(const std::filesystem::path& path, const Json& value);

// "line 3, column 14" for a byte offset into `text` (1-based, as editors count).
std::string line_column(const std::string& text, size_t byte_offset);

// Appends one JSON object per line and flushes it, so a crashed run keeps every line written.
class JsonlWriter {
 public:
  // truncate: start a new file; otherwise append.
  JsonlWriter(std::filesystem::path path, bool truncate);
  void write(const Json& object);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

// `metrics.jsonl` of a run: {"step": N, "<name>": value, ...} per line. Non-finite values are
// written as null (JSON has no NaN). A resumed run passes the step it resumes from: lines of
// later steps, written by the interrupted run after its last checkpoint, are dropped first so
// the file never holds a step twice.
class MetricsWriter {
 public:
  MetricsWriter(std::filesystem::path path, std::optional<int64_t> resume_step = std::nullopt);
  void log(int64_t step, const std::map<std::string, double>& values, const Json& extra = {});
  const std::filesystem::path& path() const { return writer_.path(); }

 private:
  static std::filesystem::path prepare(const std::filesystem::path& path,
                                       std::optional<int64_t> resume_step);
  JsonlWriter writer_;
};

}  // namespace setok::io
