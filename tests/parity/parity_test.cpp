// Runs the parity harness over tests/fixtures and $SETOK_EXTRA_FIXTURES.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "fixtures.h"
#include "harness.h"

namespace setok::parity {
namespace {

TEST(Parity, AllFixtureFolders) {
  const char* extra = std::getenv("SETOK_EXTRA_FIXTURES");
  const auto folders = fixture_folders(test::fixtures_dir(), extra ? extra : "");
  ASSERT_FALSE(folders.empty()) << "no fixture folders under " << test::fixtures_dir();
  const auto lines = check_all(folders, std::cout);
  for (const auto& line : lines) {
    if (line.status == Status::kFail) ADD_FAILURE() << line.text();
  }
}

}  // namespace
}  // namespace setok::parity
