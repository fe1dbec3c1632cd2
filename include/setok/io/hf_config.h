#pragma once
// Reading HF `config.json` files: fields we know are type-checked (an error names the file and
// the field), fields we do not use are ignored as HF itself does, and absent or null fields
// keep the caller's defaults.
#include <string>
#include <vector>

#include "setok/io/json.h"

namespace setok::io {

class HfConfigReader {
 public:
  // `label` names the source in errors, e.g. "model/config.json".
  HfConfigReader(const Json& object, std::string label, std::string prefix = "");

  void get(const char* key, int64_t& out) const;
  void get(const char* key, double& out) const;
  void get(const char* key, std::string& out) const;
  void get(const char* key, bool& out) const;
  // An integer or a list of integers (e.g. LLaMA 3's several eos_token_id).
  void get(const char* key, std::vector<int64_t>& out) const;

  bool has(const char* key) const;
  // A nested object ("vision_config"): errors when present but not an object.
  HfConfigReader child(const char* key) const;

 private:
  const Json* value(const char* key) const;  // nullptr when absent or null
  [[noreturn]] void wrong(const char* key, const char* expected) const;

  const Json& object_;
  std::string label_;
  std::string prefix_;
};

}  // namespace setok::io
