#pragma once
// The one exception type the library throws for user-facing problems (bad files, bad configs,
// bad shapes). Its message is a complete sentence naming the file / JSON path / tensor, so apps
// can print it as a single line and exit non-zero.
#include <stdexcept>
#include <string>

namespace setok {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace setok
