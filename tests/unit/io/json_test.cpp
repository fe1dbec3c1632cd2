#include "setok/io/json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::io {
namespace {

using test::error_of;

TEST(Json, SyntaxErrorNamesFileLineAndColumn) {
  test::TempDir dir;
  write_file_atomic(dir / "c.json", "{\n  \"a\": 1,\n  \"b\": ,\n}\n");
  const std::string what = error_of([&] { read_json(dir / "c.json"); });
  EXPECT_NE(what.find("c.json: invalid JSON at line 3, column 8"), std::string::npos) << what;
}

TEST(Json, MissingFileIsNamed) {
  test::TempDir dir;
  const std::string what = error_of([&] { read_json(dir / "none.json"); });
  EXPECT_NE(what.find("none.json: no such file"), std::string::npos) << what;
}

TEST(Json, JsonlErrorsNameTheLine) {
  test::TempDir dir;
  write_file_atomic(dir / "x.jsonl", "{\"a\":1}\n\n{\"a\":2}\n{\"a\":\n");
  const std::string what = error_of([&] { read_jsonl(dir / "x.jsonl"); });
  EXPECT_NE(what.find("x.jsonl:4: invalid JSON"), std::string::npos) << what;
  write_file_atomic(dir / "y.jsonl", "{\"a\":1}\n\n{\"a\":2}\n");
  const auto rows = read_jsonl(dir / "y.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["a"], 2);
}

TEST(Json, LineColumn) {
  EXPECT_EQ(line_column("ab\ncd", 0), "line 1, column 1");
  EXPECT_EQ(line_column("ab\ncd", 4), "line 2, column 2");
}

TEST(Metrics, WritesOneObjectPerLineWithNullForNonFinite) {
  test::TempDir dir;
  {
    MetricsWriter m(dir / "metrics.jsonl");
    m.log(1, {{"loss", 0.5}, {"lr", 1e-4}});
    m.log(2, {{"loss", std::nan("")}}, {{"phase", "train"}});
  }
  const auto rows = read_jsonl(dir / "metrics.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["step"], 1);
  EXPECT_DOUBLE_EQ(rows[0]["loss"].get<double>(), 0.5);
  EXPECT_TRUE(rows[1]["loss"].is_null());
  EXPECT_EQ(rows[1]["phase"], "train");
}

TEST(Metrics, ResumeDropsStepsAfterTheCheckpointAndTornLines) {
  test::TempDir dir;
  {
    MetricsWriter m(dir / "metrics.jsonl");
    for (int s = 1; s <= 5; ++s) m.log(s, {{"loss", 1.0 / s}});
  }
  {
    std::ofstream torn(dir / "metrics.jsonl", std::ios::app);
    torn << "{\"step\": 6, \"lo";  // crash mid-line
  }
  {
    MetricsWriter resumed(dir / "metrics.jsonl", /*resume_step=*/3);
    resumed.log(4, {{"loss", 0.3}});
  }
  const auto rows = read_jsonl(dir / "metrics.jsonl");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[2]["step"], 3);
  EXPECT_EQ(rows[3]["step"], 4);
  EXPECT_DOUBLE_EQ(rows[3]["loss"].get<double>(), 0.3);
}

TEST(Metrics, NewRunTruncates) {
  test::TempDir dir;
  { MetricsWriter(dir / "m.jsonl").log(1, {{"a", 1}}); }
  { MetricsWriter(dir / "m.jsonl").log(1, {{"a", 2}}); }
  const auto rows = read_jsonl(dir / "m.jsonl");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["a"], 2);
}

}  // namespace
}  // namespace setok::io
