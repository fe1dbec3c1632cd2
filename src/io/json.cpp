#include "setok/io/json.h"

#include <cmath>
#include <sstream>

#include "setok/io/fs.h"
#include "setok/io/mapped_file.h"
#include "setok/runtime/error.h"

namespace setok::io {

namespace fs = std::filesystem;

std::string line_column(const std::string& text, size_t byte_offset) {
  return line_column(text.data(), text.size(), byte_offset);
}

std::string line_column(const char* text, size_t size, size_t byte_offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < byte_offset && i < size; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

namespace {

// Parses text[0, size) through `callback` (none: the whole tree); a syntax error names `label`
// with line and column.
Json parse_text(const char* text, size_t size, const std::string& label,
                const Json::parser_callback_t& callback = nullptr) {
  try {
    return Json::parse(text, text + size, callback);
  } catch (const Json::parse_error& e) {
    // nlohmann reports the offset one past the offending character.
    const size_t at = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    // Keep only the human part after "parse error at ...: ".
    const auto colon = what.find(": ", what.find("parse error"));
    if (colon != std::string::npos) what = what.substr(colon + 2);
    throw Error(label + ": invalid JSON at " + line_column(text, size, at) + ": " + what);
  }
}

// A parse of the mapped file through `callback`.
Json parse_mapped(const fs::path& path, const Json::parser_callback_t& callback) {
  const auto file = MappedFile::open(path);
  return parse_text(reinterpret_cast<const char*>(file->data()), file->size(), path.string(),
                    callback);
}

bool ends_value(Json::parse_event_t event) {
  return event == Json::parse_event_t::object_end || event == Json::parse_event_t::array_end ||
         event == Json::parse_event_t::value;
}

}  // namespace

Json parse_json(const std::string& text, const std::string& label) {
  return parse_text(text.data(), text.size(), label);
}

Json stream_json_array(const fs::path& path, const std::string& key,
                       const std::function<void(size_t, Json&)>& each) {
  using Event = Json::parse_event_t;
  // The target array is the root (depth 0, elements at 1) or the root object's `key` (depth 1,
  // elements at 2).
  const int element_depth = key.empty() ? 1 : 2;
  bool root_is_object = false, in_target = false;
  std::string current_key;  // the root object's key being parsed
  size_t index = 0;
  return parse_mapped(path, [&](int depth, Event event, Json& parsed) {
    if (depth == 0 && event == Event::object_start) root_is_object = true;
    if (depth == 0 && event == Event::array_start && key.empty()) in_target = true;
    if (depth == 1 && event == Event::key && root_is_object)
      current_key = parsed.get<std::string>();
    if (depth == 1 && event == Event::array_start && !key.empty() && root_is_object &&
        current_key == key)
      in_target = true;
    if (depth == element_depth - 1 && event == Event::array_end) in_target = false;
    if (in_target && depth == element_depth && ends_value(event)) {
      each(index++, parsed);
      return false;  // dropped: the tree never holds more than one element
    }
    return true;
  });
}

bool stream_json_members(const fs::path& path,
                         const std::function<void(const std::string&, Json&)>& each) {
  using Event = Json::parse_event_t;
  bool root_is_object = false;
  std::string current_key;
  parse_mapped(path, [&](int depth, Event event, Json& parsed) {
    if (depth == 0 && event == Event::object_start) root_is_object = true;
    if (!root_is_object || depth != 1) return true;
    if (event == Event::key) {
      current_key = parsed.get<std::string>();
    } else if (ends_value(event)) {
      each(current_key, parsed);
      return false;
    }
    return true;
  });
  return root_is_object;
}

Json read_json(const fs::path& path) {
  return parse_json(read_file(path), path.string());
}

std::vector<Json> read_jsonl(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::vector<Json> out;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(parse_json(line, path.string() + ":" + std::to_string(number)));
  }
  return out;
}

void write_json(const fs::path& path, const Json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

JsonlWriter::JsonlWriter(fs::path path, bool truncate) : path_(std::move(path)) {
  out_.open(path_, truncate ? std::ios::trunc : std::ios::app);
  if (!out_) throw Error(path_.string() + ": cannot open for writing");
}

void JsonlWriter::write(const Json& object) {
  out_ << object.dump() << '\n';
  out_.flush();
  if (!out_) throw Error(path_.string() + ": write failed");
}

fs::path MetricsWriter::prepare(const fs::path& path, std::optional<int64_t> resume_step) {
  std::error_code ec;
  if (!resume_step || !fs::exists(path, ec)) return path;
  std::istringstream in(read_file(path));
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // A torn last line (crash mid-write) is dropped too.
    Json row = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded() || !row.is_object()) continue;
    if (row.contains("step") && row["step"].is_number_integer() &&
        row["step"].get<int64_t>() > *resume_step) {
      continue;
    }
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
  return path;
}

MetricsWriter::MetricsWriter(fs::path path, std::optional<int64_t> resume_step)
    : writer_(prepare(path, resume_step), /*truncate=*/!resume_step) {}

void MetricsWriter::log(int64_t step, const std::map<std::string, double>& values,
                        const Json& extra) {
  Json row = {{"step", step}};
  for (const auto& [name, value] : values) {
    row[name] = std::isfinite(value) ? Json(value) : Json(nullptr);
  }
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) row[key] = value;
  }
  writer_.write(row);
}

}  // namespace setok::io
