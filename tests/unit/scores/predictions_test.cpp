// Prediction files for the scores: the three layouts, and errors that name the file and line.
#include "setok/scores/predictions.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::scores {
namespace {

using test::error_of;

TEST(Predictions, JsonlChallengeArrayAndGqaFormat) {
  test::TempDir dir;
  io::write_file_atomic(dir / "results.jsonl",
                        "{\"question_id\": 1, \"answer\": \"red\"}\n{\"id\": \"2\", \"answer\": "
                        "\"yes\"}\n");
  const auto p = read_predictions((dir / "results.jsonl").string());
  EXPECT_EQ(p.at("1"), "red");
  EXPECT_EQ(p.at("2"), "yes");
  io::write_json(dir / "results.json", {{{"question_id", 5}, {"answer", "no"}}});
  EXPECT_EQ(read_predictions((dir / "results.json").string()).at("5"), "no");
  // GQA's predictions file: [{"questionId", "prediction"}].
  io::write_json(dir / "gqa.json", {{{"questionId", "201307251"}, {"prediction", "laptop"}}});
  EXPECT_EQ(read_predictions((dir / "gqa.json").string()).at("201307251"), "laptop");
  io::write_file_atomic(dir / "dup.jsonl",
                        "{\"id\": 1, \"answer\": \"a\"}\n{\"id\": 1, \"answer\": \"b\"}\n");
  std::string e = error_of([&] { read_predictions((dir / "dup.jsonl").string()); });
  EXPECT_NE(e.find("dup.jsonl: line 2: question 1 is predicted twice"), std::string::npos) << e;
  io::write_file_atomic(dir / "bad.jsonl", "{\"id\": 1}\n");
  e = error_of([&] { read_predictions((dir / "bad.jsonl").string()); });
  EXPECT_NE(e.find("bad.jsonl: line 1: needs \"question_id\""), std::string::npos) << e;
  io::write_json(dir / "obj.json", {{"answer", "x"}});
  EXPECT_NE(error_of([&] {
              read_predictions((dir / "obj.json").string());
            }).find("expected a JSON array"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::scores
