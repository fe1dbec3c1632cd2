#include "setok/scores/predictions.h"

#include <filesystem>
#include <vector>

#include "json_access.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::scores {

std::map<std::string, std::string> read_predictions(const std::string& path) {
  const bool lines = std::filesystem::path(path).extension() == ".jsonl";
  std::vector<io::Json> rows;
  if (lines) {
    rows = io::read_jsonl(path);
  } else {
    const io::Json all = io::read_json(path);
    if (!all.is_array())
      throw Error(path +
                  ": expected a JSON array of {\"question_id\", \"answer\"} (or a .jsonl file)");
    rows.assign(all.begin(), all.end());
  }
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const io::Json& r = rows[i];
    const std::string where =
        path + (lines ? ": line " + std::to_string(i + 1) : ": entry " + std::to_string(i));
    const char* key = nullptr;
    for (const char* k : {"question_id", "questionId", "id"})
      if (!key && r.is_object() && r.contains(k)) key = k;
    const char* value = r.is_object() && r.contains("prediction") ? "prediction" : "answer";
    if (!key || !r.contains(value) || !r[value].is_string())
      throw Error(where +
                  ": needs \"question_id\" (or \"id\", \"questionId\") and an \"answer\" (or "
                  "\"prediction\") string");
    const std::string qid = detail::id_text(r[key], where);
    if (!out.emplace(qid, r[value].get<std::string>()).second)
      throw Error(where + ": question " + qid + " is predicted twice");
  }
  return out;
}

}  // namespace setok::scores
