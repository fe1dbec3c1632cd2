#include "setok/io/name_map.h"

#include "setok/runtime/error.h"

namespace setok::io {

namespace {
std::regex compile(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error("invalid name-map pattern '" + pattern + "': " + e.what());
  }
}
}  // namespace

NameMap& NameMap::prefix(std::string from, std::string to) {
  rules_.push_back({Kind::kPrefix, std::move(from), std::move(to), {}});
  return *this;
}

NameMap& NameMap::replace(std::string from, std::string to) {
  if (from.empty()) throw Error("name-map replace() needs a non-empty substring");
  rules_.push_back({Kind::kReplace, std::move(from), std::move(to), {}});
  return *this;
}

NameMap& NameMap::regex(const std::string& pattern, std::string replacement) {
  rules_.push_back({Kind::kRegex, pattern, std::move(replacement), compile(pattern)});
  return *this;
}

NameMap& NameMap::ignore(const std::string& pattern) {
  ignores_.push_back(compile(pattern));
  return *this;
}

std::optional<std::string> NameMap::map(const std::string& checkpoint_name) const {
  for (const auto& re : ignores_) {
    if (std::regex_match(checkpoint_name, re)) return std::nullopt;
  }
  std::string name = checkpoint_name;
  for (const auto& rule : rules_) {
    switch (rule.kind) {
      case Kind::kPrefix:
        if (name.compare(0, rule.from.size(), rule.from) == 0) {
          name = rule.to + name.substr(rule.from.size());
        }
        break;
      case Kind::kReplace:
        for (size_t pos = name.find(rule.from); pos != std::string::npos;
             pos = name.find(rule.from, pos + rule.to.size())) {
          name.replace(pos, rule.from.size(), rule.to);
        }
        break;
      case Kind::kRegex:
        name = std::regex_replace(name, rule.pattern, rule.to);
        break;
    }
  }
  return name;
}

}  // namespace setok::io
