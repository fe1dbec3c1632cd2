// `setok_data convert`: publisher layouts and our own JSON, converted and read back by our
// readers, give the same samples; counts and errors.
#include "setok/data/convert.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using io::Json;
using test::error_of;

void expect_same(const InstructDataset& a, const InstructDataset& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.records[i].id, b.records[i].id);
    EXPECT_EQ(a.records[i].image, b.records[i].image);
    ASSERT_EQ(a.records[i].conversations.size(), b.records[i].conversations.size());
    for (size_t t = 0; t < a.records[i].conversations.size(); ++t) {
      EXPECT_EQ(a.records[i].conversations[t].from, b.records[i].conversations[t].from);
      EXPECT_EQ(a.records[i].conversations[t].value, b.records[i].conversations[t].value);
    }
  }
}

TEST(Convert, Vqav2RoundTripsThroughOurInstructJson) {
  test::TempDir dir;
  io::write_json(dir / "q.json",
                 {{"data_subtype", "val2014"},
                  {"questions",
                   {{{"image_id", 1}, {"question", "Is it red?"}, {"question_id", 10}},
                    {{"image_id", 2}, {"question", "How many?"}, {"question_id", 20}},
                    {{"image_id", 3}, {"question", "Orphan?"}, {"question_id", 30}}}}});
  io::write_json(dir / "a.json",
                 {{"annotations",
                   {{{"question_id", 10}, {"multiple_choice_answer", "yes"}},
                    {{"question_id", 20}, {"answers", {{{"answer", "2"}}, {{"answer", "2"}}}}}}}});
  ConvertOptions o;
  o.type = "vqav2";
  o.inputs = {dir / "q.json", dir / "a.json"};
  o.image_root = dir / "coco";
  o.out = dir / "vqav2_instruct.json";
  EXPECT_NE(error_of([&] { convert_dataset(o); }).find("question_id 30 has no annotation"),
            std::string::npos);
  o.skip_bad = true;
  const ConvertResult r = convert_dataset(o);
  EXPECT_EQ(r.kind, "instruct");
  EXPECT_EQ(r.read, 3);
  EXPECT_EQ(r.written, 2);
  EXPECT_EQ(r.skipped, 1);
  // Paths stay relative to the image root; read back with it, the samples are the source's.
  const Json written = io::read_json(o.out);
  EXPECT_EQ(written[0]["image"], "COCO_val2014_000000000001.jpg");
  const auto back = load_instruct_dataset(o.out, dir / "coco");
  const auto source =
      load_vqav2(dir / "q.json", dir / "a.json", dir / "coco", AnswerStyle::kShort, true);
  expect_same(back, source);
}

TEST(Convert, GqaAndOurOwnLayoutsRoundTrip) {
  test::TempDir dir;
  io::write_json(dir / "gqa.json",
                 {{"5", {{"imageId", "n1"}, {"question", "Q?"}, {"answer", "a"}}}});
  ConvertOptions o;
  o.type = "gqa";
  o.inputs = {dir / "gqa.json"};
  o.out = dir / "gqa_out.json";
  o.answer_style = AnswerStyle::kPlain;
  EXPECT_EQ(convert_dataset(o).written, 1);
  expect_same(load_instruct_dataset(o.out, dir.path()),
              load_gqa(dir / "gqa.json", dir.path(), AnswerStyle::kPlain));
  // Pair data keeps masks, panoptic segment ids and object counts.
  io::write_json(dir / "pair.json", {{{"image", "img/a.png"},
                                      {"caption", "a red circle"},
                                      {"phrases", {"red circle"}},
                                      {"mask", "masks/a.png"},
                                      {"mask_segments", {7}},
                                      {"num_objects", 1}}});
  o.type = "pair";
  o.inputs = {dir / "pair.json"};
  o.out = dir / "pair_out.json";
  EXPECT_EQ(convert_dataset(o).kind, "pair");
  const auto a = load_pair_dataset(dir / "pair.json", {});
  const auto b = load_pair_dataset(o.out, {});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.records[0].image, a.records[0].image);
  EXPECT_EQ(b.records[0].mask, a.records[0].mask);
  EXPECT_EQ(b.records[0].mask_segments, (std::vector<int64_t>{7}));
  EXPECT_EQ(b.records[0].num_objects, 1);
  EXPECT_EQ(b.records[0].phrases, a.records[0].phrases);
  // Edit data.
  io::write_json(dir / "edit.json",
                 {{{"source", "s.png"}, {"target", "t.png"}, {"instruction", "x"}}});
  o.type = "edit";
  o.inputs = {dir / "edit.json"};
  o.out = dir / "edit_out.json";
  convert_dataset(o);
  EXPECT_EQ(load_edit_dataset(o.out, {}).records[0].target, dir / "t.png");
}

TEST(Convert, InputCountAndTypeErrors) {
  test::TempDir dir;
  ConvertOptions o;
  o.type = "vqav2";
  o.inputs = {dir / "q.json"};
  o.out = dir / "out.json";
  EXPECT_NE(error_of([&] {
              convert_dataset(o);
            }).find("--input takes the questions and the annotations files, got 1 file(s)"),
            std::string::npos);
  o.type = "laion";
  EXPECT_NE(error_of([&] { convert_dataset(o); }).find("unknown --type 'laion'"),
            std::string::npos);
  io::write_json(dir / "bad_pair.json", {{{"caption", "no image"}}});
  o.type = "pair";
  o.inputs = {dir / "bad_pair.json"};
  EXPECT_NE(error_of([&] { convert_dataset(o); }).find("bad_pair.json: record 0"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(o.out));  // nothing written on error
}

}  // namespace
}  // namespace setok::data
