// GQA and A-OKVQA accuracy against hand-computed cases of their official scripts' rules.
#include "setok/scores/qa_accuracy.h"

#include <gtest/gtest.h>

#include "errors.h"

namespace setok::scores {
namespace {

using test::error_of;

io::Json gqa_question(const char* answer, const char* structural, const char* semantic,
                      bool balanced = true) {
  return {{"question", "?"},
          {"answer", answer},
          {"isBalanced", balanced},
          {"types", {{"structural", structural}, {"semantic", semantic}, {"detailed", "x"}}}};
}

TEST(GqaAccuracy, ExactMatchOverBalancedQuestionsWithOpenAndBinary) {
  const io::Json q = {{"1", gqa_question("yes", "verify", "attr")},
                      {"2", gqa_question("no", "logical", "obj")},
                      {"3", gqa_question("laptop", "query", "rel")},
                      {"4", gqa_question("red", "query", "attr")},
                      {"5", gqa_question("cat", "query", "cat", /*balanced=*/false)}};
  // 5 is unbalanced: not scored, needs no prediction. "Laptop" != "laptop": exact match only.
  const QaScore s =
      score_gqa(q, {{"1", "yes"}, {"2", "yes"}, {"3", "Laptop"}, {"4", "red"}}, "q.json");
  EXPECT_EQ(s.questions, 4);
  EXPECT_DOUBLE_EQ(s.accuracy, 50.0);
  EXPECT_DOUBLE_EQ(s.breakdown.at("binary"), 50.0);  // verify right, logical wrong
  EXPECT_DOUBLE_EQ(s.breakdown.at("open"), 50.0);    // query: laptop wrong, red right
  EXPECT_DOUBLE_EQ(s.breakdown.at("structural/query"), 50.0);
  EXPECT_DOUBLE_EQ(s.breakdown.at("semantic/attr"), 100.0);
  EXPECT_DOUBLE_EQ(s.breakdown.at("semantic/rel"), 0.0);
  EXPECT_EQ(s.to_json()["binary"], 50.0);
  const std::string e = error_of([&] { score_gqa(q, {{"1", "yes"}}, "q.json"); });
  EXPECT_NE(e.find("q.json: question 2 has no prediction"), std::string::npos) << e;
}

io::Json aokvqa_question(const char* id, std::vector<std::string> direct, int correct,
                         bool difficult = false) {
  return {{"question_id", id},
          {"question", "?"},
          {"choices", {"cigarette", "toothpick", "food", "stick"}},
          {"correct_choice_idx", correct},
          {"direct_answers", direct},
          {"difficult_direct_answer", difficult}};
}

TEST(AokvqaAccuracy, DirectAnswersAndMultipleChoice) {
  const io::Json data = {aokvqa_question("a", {"cigarette", "cigarette", "cigarette", "smoke"}, 0),
                         aokvqa_question("b", {"food", "food", "toothpick", "toothpick"}, 2),
                         aokvqa_question("c", {"x", "y"}, 3, /*difficult=*/true)};
  // Direct answer: "c" is difficult and left out; predictions are lowercased; no leave-one-out:
  // a: 3 matches -> 1; b: "food" 2 matches -> 2/3.
  const QaScore da = score_aokvqa(data, {{"a", "Cigarette"}, {"b", "food"}}, false, "v.json");
  EXPECT_EQ(da.questions, 2);
  EXPECT_NEAR(da.accuracy, 100.0 * (1.0 + 2.0 / 3.0) / 2.0, 1e-9);
  // Multiple choice: every question, by choice text or letter.
  const QaScore mc =
      score_aokvqa(data, {{"a", "cigarette"}, {"b", "B"}, {"c", "D"}}, true, "v.json");
  EXPECT_EQ(mc.questions, 3);
  EXPECT_NEAR(mc.accuracy, 100.0 * 2.0 / 3.0, 1e-9);  // a right, b wrong (toothpick), c right
  std::string e = error_of([&] {
    score_aokvqa(data, {{"a", "pipe"}, {"b", "B"}, {"c", "D"}}, true, "v.json");
  });
  EXPECT_NE(e.find("v.json: record 0: the prediction 'pipe' for question a is neither a choice"),
            std::string::npos)
      << e;
  e = error_of([&] { score_aokvqa(data, {{"a", "x"}}, false, "v.json"); });
  EXPECT_NE(e.find("question b has no prediction"), std::string::npos) << e;
}

TEST(QaAccuracy, FieldsOfTheWrongTypeNameTheRecord) {
  io::Json aok = {aokvqa_question("a", {"x"}, 0)};
  aok[0]["difficult_direct_answer"] = "no";
  std::string e = error_of([&] { score_aokvqa(aok, {{"a", "x"}}, false, "v.json"); });
  EXPECT_NE(e.find("v.json: record 0: \"difficult_direct_answer\" must be true or false"),
            std::string::npos)
      << e;
  aok[0]["difficult_direct_answer"] = false;
  aok[0]["choices"] = {"a", 3};
  e = error_of([&] { score_aokvqa(aok, {{"a", "A"}}, true, "v.json"); });
  EXPECT_NE(e.find("v.json: record 0: \"choices\" must hold strings"), std::string::npos) << e;
  aok[0]["question_id"] = 1.5;
  e = error_of([&] { score_aokvqa(aok, {{"a", "A"}}, true, "v.json"); });
  EXPECT_NE(e.find("a question id must be a string or an integer"), std::string::npos) << e;
  io::Json gqa = {{"1", gqa_question("yes", "verify", "attr")}};
  gqa["1"]["isBalanced"] = "yes";
  e = error_of([&] { score_gqa(gqa, {{"1", "yes"}}, "q.json"); });
  EXPECT_NE(e.find("q.json: question 1: \"isBalanced\" must be true or false"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace setok::scores
