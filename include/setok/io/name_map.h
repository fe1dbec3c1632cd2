#pragma once
// Maps tensor names of a foreign checkpoint (HF SigLIP, HF LLaMA, BERT, MAR, ...) to our
// module's parameter names. Maps live next to the loader of each model family, never inside the
// model (as in llama.cpp): the model only knows its own names.
//
// Rules are applied in order, each to the result of the previous one:
//   prefix("vision_model.encoder.layers.", "layers.")   replaces a leading prefix
//   replace(".self_attn.", ".attn.")                     replaces every occurrence of a substring
//   regex(R"(layers\.(\d+)\.mlp\.fc1)", "blocks.$1.fc1") std::regex_replace with $n groups
// and ignore(regex) drops checkpoint tensors the model deliberately does not use (checked on the
// original name; such tensors are not reported as unexpected).
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace setok::io {

class NameMap {
 public:
  NameMap& prefix(std::string from, std::string to);
  NameMap& replace(std::string from, std::string to);
  NameMap& regex(const std::string& pattern, std::string replacement);
  NameMap& ignore(const std::string& pattern);

  // The module name for a checkpoint name, or nullopt when the name is ignored.
  std::optional<std::string> map(const std::string& checkpoint_name) const;
  bool empty() const { return rules_.empty() && ignores_.empty(); }

 private:
  enum class Kind { kPrefix, kReplace, kRegex };
  struct Rule {
    Kind kind;
    std::string from;
    std::string to;
    std::regex pattern;
  };
  std::vector<Rule> rules_;
  std::vector<std::regex> ignores_;
};

}  // namespace setok::io
