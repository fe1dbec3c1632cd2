// Runs the parity harness over tests/fixtures and $SETOK_EXTRA_FIXTURES.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "fixtures.h"
#include "harness.h"

namespace setok::parity {
namespace {

// Built-in fixtures are all checked: a SKIP there (a checker dropped from the build, a kind
// renamed) fails like a mismatch. Extra folders may hold kinds we do not know (DESIGN §7).
TEST(Parity, AllFixtureFolders) {
  const auto builtin = fixture_folders(test::fixtures_dir(), "");
  ASSERT_FALSE(builtin.empty()) << "no fixture folders under " << test::fixtures_dir();
  for (const auto& line : check_all(builtin, std::cout)) {
    if (line.status != Status::kOk) ADD_FAILURE() << line.text() << " (a built-in fixture)";
  }
  const char* extra = std::getenv("SETOK_EXTRA_FIXTURES");
  if (extra == nullptr || *extra == 0) return;
  for (const auto& line : check_all(fixture_folders(fs::path(), extra), std::cout)) {
    if (line.status == Status::kFail) ADD_FAILURE() << line.text();
  }
}

}  // namespace
}  // namespace setok::parity
