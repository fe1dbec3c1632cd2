// VQA accuracy against hand-computed cases of the official evaluation's rules and quirks.
#include "setok/scores/vqa_accuracy.h"

#include <gtest/gtest.h>

#include "errors.h"

namespace setok::scores {
namespace {

using test::error_of;

std::vector<std::string> repeat(const std::string& a, int n, const std::string& b = "", int m = 0) {
  std::vector<std::string> v(static_cast<size_t>(n), a);
  v.insert(v.end(), static_cast<size_t>(m), b);
  return v;
}

TEST(VqaNormalisation, PunctuationRules) {
  EXPECT_EQ(vqa_process_punctuation("yes."), "yes");
  EXPECT_EQ(vqa_process_punctuation("3.5"), "3.5");               // a period before a digit stays
  EXPECT_EQ(vqa_process_punctuation("hot-dog"), "hot dog");       // not next to a space: a space
  EXPECT_EQ(vqa_process_punctuation("red, white"), "red white");  // next to a space: deleted
  EXPECT_EQ(vqa_process_punctuation("1,000 (approx)"), "1000 approx");  // digit,digit: all deleted
  // The test reads the original text, each replacement the running one.
  EXPECT_EQ(vqa_process_punctuation("a/b - c"), "a b  c");
  // At most 32 periods go (the official regex call passes re.UNICODE = 32 as its count).
  EXPECT_EQ(vqa_process_punctuation(std::string(33, '.') + "x"), ".x");
}

TEST(VqaNormalisation, DigitsArticlesContractions) {
  EXPECT_EQ(vqa_process_digit_article("Two Dogs"), "2 dogs");
  EXPECT_EQ(vqa_process_digit_article("  the   dont none "), "don't 0");
  EXPECT_EQ(vqa_process_digit_article("an apple a day"), "apple day");
  EXPECT_EQ(vqa_process_digit_article("Im"), "im");  // the table's "Im" never matches
  EXPECT_EQ(vqa_process_digit_article("somebody'd"), "somebodyd");  // as the table says
  EXPECT_EQ(vqa_normalize_prediction("\tThe Hot-Dog.\n"), "hot dog");
}

TEST(VqaAccuracy, LeaveOneOutOverTheTenAnswers) {
  EXPECT_DOUBLE_EQ(vqa_accuracy("Yes.", repeat("yes", 10)), 1.0);
  // 2 x red, 8 x blue: the two red answers see 1 other red (1/3), the eight blue see 2 (2/3).
  EXPECT_NEAR(vqa_accuracy("red", repeat("red", 2, "blue", 8)), (2 * 1.0 / 3 + 8 * 2.0 / 3) / 10,
              1e-12);
  EXPECT_NEAR(vqa_accuracy("red", repeat("red", 2, "blue", 8)), 0.6, 1e-12);
  // 3 x red: the three see 2 others (2/3), the seven others see 3 (1).
  EXPECT_NEAR(vqa_accuracy("red", repeat("red", 3, "blue", 7)), 0.9, 1e-12);
  EXPECT_DOUBLE_EQ(vqa_accuracy("green", repeat("red", 3, "blue", 7)), 0.0);
  EXPECT_DOUBLE_EQ(vqa_accuracy("two", repeat("2", 10)), 1.0);
}

TEST(VqaAccuracy, HumanAnswersOnlyPunctuatedWhenTheyDiffer) {
  // All ten identical: left as they are, so "hot-dog" never equals the normalised "hot dog".
  EXPECT_DOUBLE_EQ(vqa_accuracy("hot dog", repeat("hot-dog", 10)), 0.0);
  // Not identical: punctuation processed, "hot-dog" -> "hot dog".
  EXPECT_DOUBLE_EQ(vqa_accuracy("hot dog", repeat("hot-dog", 9, "hotdog", 1)), 1.0);
  // Human answers are never lowercased.
  EXPECT_DOUBLE_EQ(vqa_accuracy("yes", repeat("Yes", 10)), 0.0);
  EXPECT_DOUBLE_EQ(vqa_accuracy("yes", repeat("Yes", 5, "yes", 5)), 1.0);
  // 6 x "Yes", 4 x "yes": every answer sees at least 3 lowercase others (1).
  EXPECT_DOUBLE_EQ(vqa_accuracy("YES", repeat("Yes", 6, "yes", 4)), (6 * 1.0 + 4 * 1.0) / 10);
  EXPECT_NE(error_of([] { vqa_accuracy("x", {}); }).find("needs human answers"), std::string::npos);
}

io::Json annotation(int64_t qid, const std::vector<std::string>& answers, const char* type) {
  io::Json a = io::Json::array();
  for (const auto& s : answers) a.push_back({{"answer", s}, {"answer_id", a.size() + 1}});
  return {{"question_id", qid},
          {"answers", a},
          {"answer_type", type},
          {"question_type", "what color is"}};
}

TEST(VqaScore, OverallAndPerTypeRoundedLikeTheOfficialScript) {
  const io::Json ann = {
      {"annotations",
       {annotation(1, repeat("red", 2, "blue", 8), "other"),
        annotation(2, repeat("yes", 10), "yes/no"), annotation(3, repeat("cat", 10), "other")}}};
  const VqaScore s = score_vqa(ann, {{"1", "Red"}, {"2", "yes"}, {"3", "dog"}}, "a.json");
  EXPECT_EQ(s.questions, 3);
  EXPECT_DOUBLE_EQ(s.accuracy, 53.33);  // 100 x (0.6 + 1 + 0) / 3 = 53.333...
  EXPECT_DOUBLE_EQ(s.per_answer_type.at("other"), 30.0);
  EXPECT_DOUBLE_EQ(s.per_answer_type.at("yes/no"), 100.0);
  EXPECT_DOUBLE_EQ(s.per_question_type.at("what color is"), 53.33);
  EXPECT_EQ(s.to_json()["accuracy"], 53.33);
  // Results must cover exactly the annotated questions.
  std::string e = error_of([&] { score_vqa(ann, {{"1", "red"}, {"2", "yes"}}, "a.json"); });
  EXPECT_NE(e.find("a.json: annotation 2: question 3 has no prediction"), std::string::npos) << e;
  e = error_of([&] {
    score_vqa(ann, {{"1", "red"}, {"2", "yes"}, {"3", "x"}, {"9", "y"}}, "a.json");
  });
  EXPECT_NE(e.find("question 9, which has no annotation"), std::string::npos) << e;
  io::Json typed = ann;
  typed["annotations"][0]["answer_type"] = 3;
  e = error_of([&] { score_vqa(typed, {{"1", "red"}, {"2", "yes"}, {"3", "x"}}, "a.json"); });
  EXPECT_NE(e.find("a.json: annotation 0: \"answer_type\" must be a string"), std::string::npos)
      << e;
  // The annotations must be the questions file's split.
  EXPECT_NO_THROW(check_vqa_split(
      {{"questions", {{{"question_id", 1}}, {{"question_id", 2}}, {{"question_id", 3}}}}}, ann,
      "q.json"));
  e = error_of([&] { check_vqa_split({{"questions", {{{"question_id", 1}}}}}, ann, "q.json"); });
  EXPECT_NE(e.find("q.json: has no question 2 of the annotations"), std::string::npos) << e;
  EXPECT_NE(error_of([&] {
              score_vqa(io::Json::array(), {}, "a.json");
            }).find("a.json: expected an object with an \"annotations\" array"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::scores
