// The harness itself: discovery, kinds, SKIP/FAIL/OK lines, extra fixture folders, compare.
#include <gtest/gtest.h>

#include <sstream>

#include <ATen/ATen.h>

#include "compare.h"
#include "harness.h"
#include "safetensors_bytes.h"
#include "setok/io/fs.h"
#include "setok/io/safetensors.h"
#include "temp_dir.h"

namespace setok::parity {
namespace {

// A kind only these tests use: OK when reference.safetensors holds x == 1.
const Registrar kSelfTest("harness_selftest", [](const fs::path& folder) -> std::string {
  const auto f = io::SafetensorsFile::open(folder / "reference.safetensors");
  expect_equal("x", f->tensor("x"), at::ones({2}));
  return "x ok";
});

void make_fixture(const fs::path& dir, const std::string& kind, const at::Tensor& x) {
  fs::create_directories(dir);
  io::write_file_atomic(dir / "fixture.json", "{\"kind\": \"" + kind + "\"}");
  io::save_safetensors(dir / "reference.safetensors", {{"x", x}});
}

TEST(ParityHarness, LinesForOkFailAndSkip) {
  test::TempDir dir;
  make_fixture(dir / "extra" / "good", "harness_selftest", at::ones({2}));
  make_fixture(dir / "extra" / "wrong", "harness_selftest", at::zeros({2}));
  make_fixture(dir / "extra" / "nested" / "unknown", "no_such_kind", at::ones({2}));
  make_fixture(dir / "extra" / "corrupt", "harness_selftest", at::ones({2}));
  for (const auto& c : test::corrupt_safetensors_cases()) {
    if (c.name == "invalid_json") {
      test::write_bytes(dir / "extra" / "corrupt" / "reference.safetensors", c.bytes);
    }
  }
  fs::create_directories(dir / "extra" / "not_a_fixture");  // no fixture.json: ignored
  fs::create_directories(dir / "builtin");

  const auto folders = fixture_folders(dir / "builtin", (dir / "extra").string());
  ASSERT_EQ(folders.size(), 4u);
  std::ostringstream out;
  const auto lines = check_all(folders, out);
  ASSERT_EQ(lines.size(), 8u);
  const std::string text = out.str();
  EXPECT_NE(text.find("parity good safetensors: OK (1 files, 1 tensors)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("parity good harness_selftest: OK (x ok)"), std::string::npos) << text;
  EXPECT_NE(text.find("parity wrong harness_selftest: FAIL (x: 2 of 2 elements differ"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parity unknown no_such_kind: SKIP (no checker)"), std::string::npos) << text;
  EXPECT_NE(text.find("parity corrupt safetensors: FAIL ("), std::string::npos) << text;
  EXPECT_NE(text.find("parity corrupt harness_selftest: FAIL ("), std::string::npos) << text;
}

TEST(ParityHarness, ExtraListAcceptsFixtureFolderItselfAndSeveralEntries) {
  test::TempDir dir;
  make_fixture(dir / "a", "harness_selftest", at::ones({2}));
  make_fixture(dir / "b" / "c", "harness_selftest", at::ones({2}));
  const auto folders =
      fixture_folders(dir / "none", (dir / "a").string() + ":" + (dir / "b").string());
  ASSERT_EQ(folders.size(), 2u);
  EXPECT_EQ(folders[0], dir / "a");
  EXPECT_EQ(folders[1], dir / "b" / "c");
  EXPECT_THROW(fixture_folders(dir / "none", (dir / "missing").string()), std::exception);
}

TEST(ParityHarness, KindFromConfigModelType) {
  test::TempDir dir;
  io::write_file_atomic(dir / "config.json", R"({"model_type": "llama"})");
  EXPECT_EQ(fixture_kind(dir.path()), "llama");
  io::write_file_atomic(dir / "fixture.json", R"({"kind": "siglip"})");
  EXPECT_EQ(fixture_kind(dir.path()), "siglip");  // fixture.json wins
  io::write_file_atomic(dir / "fixture.json", R"({"kind": 3})");
  EXPECT_THROW(fixture_kind(dir.path()), std::exception);
}

// A kind named twice must agree when a checker exists for either name: otherwise a typo in
// fixture.json would SKIP a checkable fixture green.
TEST(ParityHarness, AFixtureWithACheckableKindNeverSkips) {
  test::TempDir dir;
  make_fixture(dir / "typo", "harness_selftset", at::ones({2}));
  io::write_file_atomic(dir / "typo" / "config.json", R"({"model_type": "harness_selftest"})");
  make_fixture(dir / "agree", "harness_selftest", at::ones({2}));
  io::write_file_atomic(dir / "agree" / "config.json", R"({"model_type": "harness_selftest"})");
  make_fixture(dir / "neither", "kind_a", at::ones({2}));
  io::write_file_atomic(dir / "neither" / "config.json", R"({"model_type": "kind_b"})");
  std::ostringstream out;
  const auto lines = check_all({dir / "typo", dir / "agree", dir / "neither"}, out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1].status, Status::kFail) << lines[1].text();
  EXPECT_NE(lines[1].detail.find("model_type is 'harness_selftest'"), std::string::npos);
  EXPECT_EQ(lines[3].status, Status::kOk) << lines[3].text();
  EXPECT_EQ(lines[5].status, Status::kSkip) << lines[5].text();  // nobody can check it
}

// A NaN in the reference would compare false with everything and pass: it fails instead.
TEST(ParityCompare, NanAnywhereFails) {
  const at::Tensor want = at::arange(4, at::kFloat);
  at::Tensor with_nan = want.clone();
  with_nan[2] = NAN;
  EXPECT_THROW(expect_close("t", want, with_nan, 1, 1), Failure);
  EXPECT_THROW(expect_close("t", with_nan, want, 1, 1), Failure);
  EXPECT_THROW(expect_close("t", with_nan, with_nan, 1, 1), Failure);
  try {
    expect_close("t", want, with_nan, 1, 1);
  } catch (const Failure& e) {
    EXPECT_NE(std::string(e.what()).find("NaN in the expected values"), std::string::npos);
  }
}

TEST(ParityCompare, CloseAndEqualReportWhereAndHowMuch) {
  const at::Tensor want = at::arange(6, at::kFloat).reshape({2, 3});
  EXPECT_NO_THROW(expect_close("t", want + 1e-6, want, 0, 1e-5));
  try {
    expect_close("t", want + at::tensor({0.f, 0.f, 0.f, 0.f, 0.1f, 0.f}).reshape({2, 3}), want,
                 1e-4, 1e-5);
    FAIL() << "accepted";
  } catch (const Failure& e) {
    EXPECT_NE(std::string(e.what()).find("at [1, 1]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(expect_close("t", want.reshape({3, 2}), want, 1, 1), Failure);
  EXPECT_THROW(expect_close("t", want * NAN, want, 1, 1), Failure);
  EXPECT_NO_THROW(expect_equal("ids", at::arange(4), at::arange(4)));
  EXPECT_THROW(expect_equal("ids", at::arange(4), at::arange(4) + 1), Failure);
}

}  // namespace
}  // namespace setok::parity
