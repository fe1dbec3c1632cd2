// The VQA corpora in their publishers' layouts (VQAv2 / OK-VQA, A-OKVQA, GQA): small samples
// written here, read back as one-round conversations.
#include "setok/data/vqa_readers.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using io::Json;
using test::error_of;

const std::string kShort = "\nAnswer the question using a single word or phrase.";

Json vqa_questions() {
  return {{"data_subtype", "val2014"},
          {"questions",
           {{{"image_id", 42}, {"question", "What color is the bus?"}, {"question_id", 42000}},
            {{"image_id", 7}, {"question", "How many dogs?"}, {"question_id", 7001}}}}};
}

Json answers(const std::vector<std::string>& texts) {
  Json a = Json::array();
  int id = 1;
  for (const auto& t : texts)
    a.push_back({{"answer", t}, {"answer_confidence", "yes"}, {"answer_id", id++}});
  return a;
}

TEST(Vqav2, QuestionsAndAnnotationsBecomeConversations) {
  test::TempDir dir;
  io::write_json(dir / "q.json", vqa_questions());
  // VQAv2 carries multiple_choice_answer; OK-VQA does not (the most frequent answer is taken,
  // the first of a tie).
  io::write_json(dir / "a.json",
                 {{"annotations",
                   {{{"question_id", 7001}, {"answers", answers({"2", "3", "3", "2", "two"})}},
                    {{"question_id", 42000},
                     {"multiple_choice_answer", "red"},
                     {"answers", answers({"blue", "blue", "red"})}}}}});
  const InstructDataset ds =
      load_vqav2(dir / "q.json", dir / "a.json", dir / "coco", AnswerStyle::kShort);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.records[0].id, "42000");
  EXPECT_EQ(ds.records[0].image, dir / "coco" / "COCO_val2014_000000000042.jpg");
  ASSERT_EQ(ds.records[0].conversations.size(), 2u);
  EXPECT_EQ(ds.records[0].conversations[0].from, "human");
  EXPECT_EQ(ds.records[0].conversations[0].value, "<image>\nWhat color is the bus?" + kShort);
  EXPECT_EQ(ds.records[0].conversations[1].from, "gpt");
  EXPECT_EQ(ds.records[0].conversations[1].value, "red");
  EXPECT_EQ(ds.records[1].conversations[1].value, "2");  // 2 and 3 tie at two votes: first seen
  EXPECT_EQ(ds.records[1].image, dir / "coco" / "COCO_val2014_000000000007.jpg");
  const InstructDataset plain =
      load_vqav2(dir / "q.json", dir / "a.json", dir / "coco", AnswerStyle::kPlain);
  EXPECT_EQ(plain.records[1].conversations[0].value, "<image>\nHow many dogs?");
}

TEST(Vqav2, BadRecordsNameFileAndIndexOrAreCountedSkips) {
  test::TempDir dir;
  io::write_json(dir / "q.json", vqa_questions());
  io::write_json(dir / "a.json",
                 {{"annotations", {{{"question_id", 42000}, {"answers", answers({"red"})}}}}});
  // Question 1 has no annotation.
  std::string e =
      error_of([&] { load_vqav2(dir / "q.json", dir / "a.json", {}, AnswerStyle::kShort); });
  EXPECT_NE(e.find("q.json: question 1: question_id 7001 has no annotation"), std::string::npos)
      << e;
  const InstructDataset ds =
      load_vqav2(dir / "q.json", dir / "a.json", {}, AnswerStyle::kShort, true);
  EXPECT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds.skipped, 1);
  EXPECT_EQ(ds.record_index, (std::vector<int64_t>{0}));
  // A malformed annotation names its file and index.
  io::write_json(dir / "bad.json", {{"annotations", {{{"question_id", 42000}, {"answers", 3}}}}});
  e = error_of([&] { load_vqav2(dir / "q.json", dir / "bad.json", {}, AnswerStyle::kShort); });
  EXPECT_NE(e.find("bad.json: annotation 0: \"answers\" must be an array"), std::string::npos) << e;
  // Layout errors.
  io::write_json(dir / "flat.json", Json::array());
  e = error_of([&] { load_vqav2(dir / "q.json", dir / "flat.json", {}, AnswerStyle::kShort); });
  EXPECT_NE(e.find("flat.json: expected an object with a \"annotations\" array"), std::string::npos)
      << e;
  e = error_of(
      [&] { load_vqav2(dir / "q.json", dir / "a.json", {}, AnswerStyle::kMultipleChoice); });
  EXPECT_NE(e.find("multiple_choice is A-OKVQA's"), std::string::npos) << e;
}

TEST(Aokvqa, DirectAnswersAndLetteredChoices) {
  test::TempDir dir;
  io::write_json(dir / "aokvqa_v1p0_val.json",
                 {{{"split", "val"},
                   {"image_id", 461751},
                   {"question_id", "22jbM6gDxdaMaunuzgrsBB"},
                   {"question", "What is in the motorcyclist's mouth?"},
                   {"choices", {"toothpick", "food", "popsicle stick", "cigarette"}},
                   {"correct_choice_idx", 3},
                   {"direct_answers", {"cigarette", "cigarette", "toothpick", "cigarette"}},
                   {"rationales", {"He's smoking."}}},
                  {{"image_id", 1},
                   {"question_id", "x"},
                   {"question", "?"},
                   {"choices", {"a"}},
                   {"correct_choice_idx", 4},
                   {"direct_answers", Json::array()}}});
  const auto file = dir / "aokvqa_v1p0_val.json";
  const InstructDataset da = load_aokvqa(file, dir / "val2017", AnswerStyle::kShort, true);
  ASSERT_EQ(da.size(), 1u);
  EXPECT_EQ(da.skipped, 1);  // no direct answers
  EXPECT_EQ(da.records[0].id, "22jbM6gDxdaMaunuzgrsBB");
  EXPECT_EQ(da.records[0].image, dir / "val2017" / "000000461751.jpg");
  EXPECT_EQ(da.records[0].conversations[0].value,
            "<image>\nWhat is in the motorcyclist's mouth?" + kShort);
  EXPECT_EQ(da.records[0].conversations[1].value, "cigarette");
  const InstructDataset mc = load_aokvqa(file, dir.path(), AnswerStyle::kMultipleChoice, true);
  ASSERT_EQ(mc.size(), 1u);
  EXPECT_EQ(mc.records[0].conversations[0].value,
            "<image>\nWhat is in the motorcyclist's mouth?\nA. toothpick\nB. food\nC. popsicle "
            "stick\nD. cigarette\nAnswer with the option's letter from the given choices "
            "directly.");
  EXPECT_EQ(mc.records[0].conversations[1].value, "D");
  const std::string e =
      error_of([&] { load_aokvqa(file, dir.path(), AnswerStyle::kMultipleChoice); });
  EXPECT_NE(e.find("aokvqa_v1p0_val.json: record 1: \"correct_choice_idx\" 4 does not index the 1 "
                   "choices"),
            std::string::npos)
      << e;
}

TEST(Gqa, BalancedQuestionsKeyedById) {
  test::TempDir dir;
  io::write_json(
      dir / "val_balanced_questions.json",
      {{"05515938",
        {{"imageId", "n288870"},
         {"question", "Is the sky blue?"},
         {"answer", "yes"},
         {"fullAnswer", "Yes, the sky is blue."}}},
       {"201307251",
        {{"imageId", "2354786"}, {"question", "What is on the table?"}, {"answer", "laptop"}}},
       {"3", {{"imageId", "1"}, {"answer", "no"}}}});
  const auto file = dir / "val_balanced_questions.json";
  const std::string e = error_of([&] { load_gqa(file, dir / "images", AnswerStyle::kShort); });
  EXPECT_NE(e.find("val_balanced_questions.json: question 2 (id 3): missing \"question\""),
            std::string::npos)
      << e;
  const InstructDataset ds = load_gqa(file, dir / "images", AnswerStyle::kShort, true);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.skipped, 1);
  EXPECT_EQ(ds.records[0].id, "05515938");
  EXPECT_EQ(ds.records[0].image, dir / "images" / "n288870.jpg");
  EXPECT_EQ(ds.records[0].conversations[0].value, "<image>\nIs the sky blue?" + kShort);
  EXPECT_EQ(ds.records[0].conversations[1].value, "yes");
  EXPECT_EQ(ds.records[1].image, dir / "images" / "2354786.jpg");
  EXPECT_EQ(ds.records[1].conversations[1].value, "laptop");
  EXPECT_NE(error_of([&] {
              load_gqa(file, {}, AnswerStyle::kMultipleChoice);
            }).find("GQA has no choices"),
            std::string::npos);
}

TEST(AnswerStyle, ParsesTheThreeNamesAndPosesQuestions) {
  EXPECT_EQ(question_turn("How many?", AnswerStyle::kShort), "<image>\nHow many?" + kShort);
  EXPECT_EQ(question_turn("How many?", AnswerStyle::kPlain), "<image>\nHow many?");
  EXPECT_EQ(question_turn("How many?", AnswerStyle::kPlain, false), "How many?");
  EXPECT_THROW(question_turn("How many?", AnswerStyle::kMultipleChoice), Error);
  for (const AnswerStyle s :
       {AnswerStyle::kShort, AnswerStyle::kPlain, AnswerStyle::kMultipleChoice})
    EXPECT_EQ(parse_answer_style(answer_style_name(s)), s);
  EXPECT_EQ(parse_answer_style("short"), AnswerStyle::kShort);
  EXPECT_EQ(parse_answer_style("plain"), AnswerStyle::kPlain);
  EXPECT_EQ(parse_answer_style("multiple_choice"), AnswerStyle::kMultipleChoice);
  EXPECT_NE(error_of([] { parse_answer_style("long"); }).find("short, plain or multiple_choice"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::data
