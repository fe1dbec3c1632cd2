#pragma once
// Internal to scores/: reading the benchmark files' fields with errors that name the file and
// entry (a wrong type is never an uncaught JSON exception), and the ASCII lowercasing the
// official scripts' English answers need.
#include <string>

#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::scores::detail {

// An id as text: a string as it is, an integer in decimal; `what` names it in errors.
inline std::string id_text(const io::Json& id, const std::string& where,
                           const char* what = "a question id") {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  throw Error(where + ": " + what + " must be a string or an integer, got " + id.type_name());
}

// obj[key] as a string; `fallback` when absent or null.
inline std::string text_or(const io::Json& obj, const char* key, const std::string& fallback,
                           const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_string())
    throw Error(where + ": \"" + key + "\" must be a string, got " + obj[key].type_name());
  return obj[key].get<std::string>();
}

// obj[key] as a bool; `fallback` when absent or null.
inline bool flag_or(const io::Json& obj, const char* key, bool fallback, const std::string& where) {
  if (!obj.contains(key) || obj[key].is_null()) return fallback;
  if (!obj[key].is_boolean())
    throw Error(where + ": \"" + key + "\" must be true or false, got " + obj[key].type_name());
  return obj[key].get<bool>();
}

inline std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace setok::scores::detail
