#include "setok/scores/predictions.h"

#include <filesystem>
#include <vector>

#include "json_access.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::scores {

namespace {

// Which keys hold a row's id and its text, the first present wins; `noun` names an id in errors.
struct RowLayout {
  std::vector<const char*> id_keys;
  std::vector<const char*> text_keys;
  const char* noun;      // "question" | "image"
  const char* id_what;   // "a question id" | "an image id"
  const char* expected;  // what a row needs, for errors
};

std::map<std::string, std::string> read_rows(const std::string& path, const RowLayout& layout) {
  const bool lines = std::filesystem::path(path).extension() == ".jsonl";
  std::vector<io::Json> rows;
  if (lines) {
    rows = io::read_jsonl(path);
  } else {
    const io::Json all = io::read_json(path);
    if (!all.is_array())
      throw Error(path + ": expected a JSON array of " + layout.expected + " (or a .jsonl file)");
    rows.assign(all.begin(), all.end());
  }
  auto first_key = [](const io::Json& r, const std::vector<const char*>& keys) -> const char* {
    for (const char* k : keys)
      if (r.is_object() && r.contains(k)) return k;
    return nullptr;
  };
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const io::Json& r = rows[i];
    const std::string where =
        path + (lines ? ": line " + std::to_string(i + 1) : ": entry " + std::to_string(i));
    const char* key = first_key(r, layout.id_keys);
    const char* value = first_key(r, layout.text_keys);
    if (!key || !value || !r[value].is_string()) throw Error(where + ": needs " + layout.expected);
    const std::string id = detail::id_text(r[key], where, layout.id_what);
    if (!out.emplace(id, r[value].get<std::string>()).second)
      throw Error(where + ": " + layout.noun + " " + id + " is predicted twice");
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> read_predictions(const std::string& path) {
  return read_rows(path, {{"question_id", "questionId", "id"},
                          {"prediction", "answer"},
                          "question",
                          "a question id",
                          "\"question_id\" (or \"id\", \"questionId\") and an \"answer\" (or "
                          "\"prediction\") string"});
}

std::map<std::string, std::string> read_caption_predictions(const std::string& path) {
  return read_rows(path, {{"image_id", "id"},
                          {"caption", "answer"},
                          "image",
                          "an image id",
                          "\"image_id\" (or \"id\") and a \"caption\" (or \"answer\") string"});
}

}  // namespace setok::scores
