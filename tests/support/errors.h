#pragma once
// The message of the setok::Error that `f` throws ("" when it throws none).
#include <functional>
#include <string>

#include "setok/runtime/error.h"

namespace setok::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace setok::test
