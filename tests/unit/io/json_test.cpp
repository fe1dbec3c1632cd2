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

TEST(JsonStream, TopLevelArrayElementsOneAtATime) {
  test::TempDir dir;
  write_file_atomic(dir / "a.json", "[{\"x\": [1, [2]]}, 3, \"s\", [4], {\"y\": {\"z\": []}}]");
  std::vector<std::string> seen;
  const Json rest = stream_json_array(dir / "a.json", "", [&](size_t i, Json& e) {
    seen.push_back(std::to_string(i) + ":" + e.dump());
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"0:{\"x\":[1,[2]]}", "1:3", "2:\"s\"", "3:[4]",
                                            "4:{\"y\":{\"z\":[]}}"}));
  EXPECT_EQ(rest, Json::array());  // nothing kept
  // An object root is returned whole for the caller's shape check; nothing is streamed.
  write_file_atomic(dir / "o.json", "{\"a\": [1, 2]}");
  seen.clear();
  const Json obj =
      stream_json_array(dir / "o.json", "", [&](size_t, Json&) { seen.push_back(""); });
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(obj["a"], Json({1, 2}));
}

TEST(JsonStream, ArrayUnderAKeyKeepsTheRestOfTheDocument) {
  test::TempDir dir;
  // "data_subtype" after the array (VQAv2 does not promise an order); another array of the same
  // depth and nested arrays inside elements are not streamed.
  write_file_atomic(dir / "q.json",
                    "{\"info\": {\"v\": [9]}, \"questions\": [{\"id\": 1, \"tags\": [\"a\"]}, "
                    "{\"id\": 2}], \"images\": [{\"id\": 7}], \"data_subtype\": \"val2014\"}");
  std::vector<int> ids;
  const Json rest = stream_json_array(dir / "q.json", "questions", [&](size_t i, Json& e) {
    EXPECT_EQ(static_cast<int>(i), static_cast<int>(ids.size()));
    ids.push_back(e["id"].get<int>());
  });
  EXPECT_EQ(ids, (std::vector<int>{1, 2}));
  EXPECT_EQ(rest["questions"], Json::array());
  EXPECT_EQ(rest["images"], Json::parse("[{\"id\": 7}]"));
  EXPECT_EQ(rest["info"]["v"], Json({9}));
  EXPECT_EQ(rest["data_subtype"], "val2014");
  // What the handler throws propagates; a syntax error names the file, line and column.
  EXPECT_NE(error_of([&] {
              stream_json_array(dir / "q.json", "questions",
                                [](size_t, Json&) { throw Error("bad record"); });
            }).find("bad record"),
            std::string::npos);
  write_file_atomic(dir / "bad.json", "[\n  {\"a\": 1},\n  {\"a\": }\n]");
  const std::string e =
      error_of([&] { stream_json_array(dir / "bad.json", "", [](size_t, Json&) {}); });
  EXPECT_NE(e.find("bad.json: invalid JSON at line 3, column 9"), std::string::npos) << e;
  EXPECT_NE(error_of([&] {
              stream_json_array(dir / "none.json", "", [](size_t, Json&) {});
            }).find("none.json: no such file"),
            std::string::npos);
}

TEST(JsonStream, MembersInFileOrder) {
  test::TempDir dir;
  write_file_atomic(dir / "g.json", "{\"b2\": {\"q\": 1}, \"a1\": [2], \"c3\": 3}");
  std::vector<std::string> seen;
  EXPECT_TRUE(stream_json_members(
      dir / "g.json", [&](const std::string& k, Json& v) { seen.push_back(k + "=" + v.dump()); }));
  EXPECT_EQ(seen, (std::vector<std::string>{"b2={\"q\":1}", "a1=[2]", "c3=3"}));
  write_file_atomic(dir / "arr.json", "[{\"q\": 1}]");
  EXPECT_FALSE(stream_json_members(dir / "arr.json", [&](const std::string&, Json&) {
    ADD_FAILURE() << "an array has no members";
  }));
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
