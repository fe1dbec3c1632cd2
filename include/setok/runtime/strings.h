#pragma once
// Small string helpers shared across the library.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace setok::runtime {

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "[2, 16, 64]"
inline std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace setok::runtime
