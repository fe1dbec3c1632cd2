// Runs the real setok_eval binary, as a user would.
#include <gtest/gtest.h>

#include "run_cli.h"
#include "setok/io/fs.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::test {
namespace {

CliRun run_eval(const std::string& args) {
  return run_command(std::string(SETOK_EVAL_BIN) + " " + args);
}

TEST(CliEval, VqaAccuracyFromResultsJsonl) {
  TempDir dir;
  io::Json answers = io::Json::array();
  for (int i = 0; i < 10; ++i) answers.push_back({{"answer", i < 2 ? "red" : "blue"}});
  io::write_json(dir / "ann.json",
                 {{"annotations",
                   {{{"question_id", 7}, {"answers", answers}, {"answer_type", "other"}},
                    {{"question_id", 8}, {"answers", answers}, {"answer_type", "other"}}}}});
  io::write_json(dir / "q.json", {{"questions", {{{"question_id", 7}}, {{"question_id", 8}}}}});
  io::write_file_atomic(dir / "results.jsonl",
                        "{\"question_id\": 7, \"answer\": \"Red.\"}\n"
                        "{\"question_id\": 8, \"answer\": \"the blue\"}\n");
  const std::string files = "--annotations " + (dir / "ann.json").string() + " --predictions " +
                            (dir / "results.jsonl").string();
  const CliRun r = run_eval("vqa " + files + " --questions " + (dir / "q.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const io::Json j = io::Json::parse(r.out);
  // red: 0.6 (2 of 10 humans, leave-one-out), blue: 1.0 -> 80.
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 80.0);
  EXPECT_DOUBLE_EQ(j["per_answer_type"]["other"].get<double>(), 80.0);
  EXPECT_EQ(j["questions"], 2);
  // A questions file of another split, a missing file: one clear line, exit code 1.
  io::write_json(dir / "other.json", {{"questions", {{{"question_id", 7}}}}});
  CliRun bad = run_eval("vqa " + files + " --questions " + (dir / "other.json").string());
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("has no question 8 of the annotations"), std::string::npos) << bad.out;
  bad = run_eval("vqa --annotations " + (dir / "missing.json").string() + " --predictions " +
                 (dir / "results.jsonl").string());
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_EQ(bad.out.rfind("setok_eval: error: ", 0), 0u) << bad.out;
  EXPECT_NE(bad.out.find("missing.json"), std::string::npos) << bad.out;
}

TEST(CliEval, GqaAndAokvqa) {
  TempDir dir;
  io::write_json(dir / "gqa.json", {{"7",
                                     {{"answer", "yes"},
                                      {"isBalanced", true},
                                      {"types", {{"structural", "verify"}, {"semantic", "attr"}}}}},
                                    {"8",
                                     {{"answer", "cup"},
                                      {"isBalanced", true},
                                      {"types", {{"structural", "query"}, {"semantic", "obj"}}}}}});
  io::write_json(dir / "gqa_pred.json", {{{"questionId", "7"}, {"prediction", "yes"}},
                                         {{"questionId", "8"}, {"prediction", "mug"}}});
  CliRun r = run_eval("gqa --questions " + (dir / "gqa.json").string() + " --predictions " +
                      (dir / "gqa_pred.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  io::Json j = io::Json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(j["binary"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j["open"].get<double>(), 0.0);
  io::write_json(dir / "aok.json", {{{"question_id", "q"},
                                     {"choices", {"red", "blue"}},
                                     {"correct_choice_idx", 1},
                                     {"direct_answers", {"blue", "blue", "blue"}},
                                     {"difficult_direct_answer", false}}});
  io::write_file_atomic(dir / "aok.jsonl", "{\"question_id\": \"q\", \"answer\": \"B\"}\n");
  r = run_eval("aokvqa --multiple-choice --data " + (dir / "aok.json").string() +
               " --predictions " + (dir / "aok.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_DOUBLE_EQ(io::Json::parse(r.out)["accuracy"].get<double>(), 100.0);
  r = run_eval("aokvqa --data " + (dir / "aok.json").string() + " --predictions " +
               (dir / "aok.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.out;  // direct answer "B" -> "b": no match
  EXPECT_DOUBLE_EQ(io::Json::parse(r.out)["accuracy"].get<double>(), 0.0);
}

TEST(CliEval, CaptionBleuAndCider) {
  TempDir dir;
  io::write_json(
      dir / "captions.json",
      {{"annotations",
        {{{"image_id", 1}, {"caption", "A dog."}}, {{"image_id", 2}, {"caption", "A bird."}}}}});
  io::write_json(dir / "results.json", {{{"image_id", 1}, {"caption", "a dog"}},
                                        {{"image_id", 2}, {"caption", "a cat"}}});
  const CliRun r = run_eval("caption --annotations " + (dir / "captions.json").string() +
                            " --predictions " + (dir / "results.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const io::Json j = io::Json::parse(r.out);
  EXPECT_NEAR(j["cider_d"].get<double>(), 2.5, 1e-12);  // see unit/scores/caption_scores_test
  EXPECT_NEAR(j["bleu_1"].get<double>(), 0.75, 1e-9);
  EXPECT_EQ(j["images"], 2);
  io::write_json(dir / "stray.json", {{{"image_id", 5}, {"caption", "a dog"}}});
  const CliRun bad = run_eval("caption --annotations " + (dir / "captions.json").string() +
                              " --predictions " + (dir / "stray.json").string());
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("predicted image 5 has no captions"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace setok::test
