#pragma once
// Internal to data/: reading JSON records with errors that name the file and record, shared by
// every dataset reader.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "setok/data/datasets.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::data::detail {

namespace fs = std::filesystem;
using io::Json;

// Field access that names the record in errors.
struct Fields {
  const Json& j;
  std::string where;

  const Json* get(const char* key, bool required) const {
    if (!j.contains(key) || j[key].is_null()) {
      if (required) throw Error(where + ": missing \"" + key + "\"");
      return nullptr;
    }
    return &j[key];
  }
  std::string string(const char* key, bool required = true) const {
    const Json* v = get(key, required);
    if (v == nullptr) return "";
    if (!v->is_string())
      throw Error(where + ": \"" + key + "\" must be a string, got " + v->type_name());
    return v->get<std::string>();
  }
  int64_t integer(const char* key) const {
    const Json* v = get(key, true);
    if (!v->is_number_integer()) throw Error(where + ": \"" + key + "\" must be an integer");
    return v->get<int64_t>();
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    const Json* v = get(key, false);
    if (v == nullptr) return out;
    if (!v->is_array()) throw Error(where + ": \"" + key + "\" must be an array of strings");
    for (const auto& s : *v) {
      if (!s.is_string()) throw Error(where + ": \"" + key + "\" must hold only strings");
      out.push_back(s.get<std::string>());
    }
    return out;
  }
};

// An empty dataset of `file`, its image root `root_in` or, when empty, the file's folder.
template <class Record>
Dataset<Record> new_dataset(const fs::path& file, const fs::path& root_in) {
  Dataset<Record> ds;
  ds.file = file;
  ds.image_root = root_in.empty() ? file.parent_path() : root_in;
  return ds;
}

inline fs::path resolve(const fs::path& root, const std::string& p) {
  const fs::path path(p);
  return path.is_absolute() ? path : root / path;
}

// A conversation array under `key` (LLaVA's {"from": "human" | "gpt", "value"} turns).
std::vector<Turn> parse_turns(const Fields& f, const char* key);
// One LLaVA-layout record: {"id" (or "idx"), "image" (optional), "conversations"}.
InstructRecord parse_instruct_record(const Fields& f, const fs::path& root);

// Parses one entry (index i, named `where` in messages) into `ds`; see parse_records.
template <class Record, class Parse>
void parse_entry(Dataset<Record>& ds, const Json& entry, size_t i, const std::string& where,
                 const char* what, bool skip_bad, Parse&& parse) {
  try {
    if (!entry.is_object()) throw Error(where + ": expected an object, got " + entry.type_name());
    ds.records.push_back(parse(Fields{entry, where}, ds.image_root));
    ds.record_index.push_back(static_cast<int64_t>(i));
  } catch (const Error& e) {
    if (!skip_bad) throw;
    ++ds.skipped;
    spdlog::warn("skipping bad {} ({} skipped so far): {}", what, ds.skipped, e.what());
  }
}

// Parses records[i] (objects) of `array` into `ds` through `parse` (Fields, image root) ->
// Record; `what` names an entry in messages ("record", "annotation"). A bad entry throws, or
// with skip_bad is counted and logged.
template <class Record, class Parse>
void parse_records(Dataset<Record>& ds, const Json& array, const std::string& label,
                   const char* what, bool skip_bad, Parse&& parse) {
  for (size_t i = 0; i < array.size(); ++i)
    parse_entry(ds, array[i], i, label + ": " + what + " " + std::to_string(i), what, skip_bad,
                parse);
}

// Reads a JSON array of records through `parse` (Fields, image root) -> Record, streaming it
// (io::stream_json_array: the file's whole tree is never built).
template <class Record, class Parse>
Dataset<Record> load(const fs::path& file, const fs::path& root_in, bool skip_bad, const char* kind,
                     Parse&& parse) {
  Dataset<Record> ds = new_dataset<Record>(file, root_in);
  const std::string label = file.string();
  const Json rest = io::stream_json_array(file, "", [&](size_t i, Json& entry) {
    parse_entry(ds, entry, i, label + ": record " + std::to_string(i), "record", skip_bad, parse);
  });
  if (!rest.is_array())
    throw Error(label + ": a " + std::string(kind) + " dataset must be a JSON array of records");
  return ds;
}

}  // namespace setok::data::detail
