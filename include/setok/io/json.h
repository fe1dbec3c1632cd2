#pragma once
// JSON and JSON-Lines files with errors that say which file, line and column is wrong.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
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

// Streams the records of a (large) JSON file without building its whole tree: `each(index,
// element)` is called for every element of the top-level array (`key` empty) or of the array
// under the top-level object's `key`, in file order, one at a time; an element is dropped once
// `each` returns. Returns the rest of the document (with that array left empty) for its small
// fields; callers check its shape. Memory: the file is mapped, and only one element's tree and
// the rest of the document are built (a whole-file tree costs several times the file's size).
// Errors name the file (syntax: with line and column); what `each` throws propagates.
Json stream_json_array(const std::filesystem::path& path, const std::string& key,
                       const std::function<void(size_t index, Json& element)>& each);

// For a top-level object keyed by id (GQA's questions): `each(key, value)` for every member, in
// file order, one at a time. Returns false (calling nothing) when the top level is not an
// object.
bool stream_json_members(const std::filesystem::path& path,
                         const std::function<void(const std::string& key, Json& value)>& each);

// One JSON value per non-empty line. Errors name the file and line.
std::vector<Json> read_jsonl(const std::filesystem::path& path);

// Pretty-printed JSON written atomically.
void write_json(const std::filesystem::path& path, const Json& value);

// "line 3, column 14" for a byte offset into `text` (1-based, as editors count).
std::string line_column(const std::string& text, size_t byte_offset);
std::string line_column(const char* text, size_t size, size_t byte_offset);

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
