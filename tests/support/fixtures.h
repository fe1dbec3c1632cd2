#pragma once
// Where the copied reference fixtures live (tests/fixtures), set by CMake.
#include <filesystem>

namespace setok::test {

inline std::filesystem::path fixtures_dir() {
  return SETOK_TEST_FIXTURES_DIR;
}

}  // namespace setok::test
