// The reader table behind a data entry's `type`: every layout documented, the second-file rules,
// ImageNet's class prompts, and every publisher layout through `setok_data convert` and back.
#include "setok/data/readers.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/data/convert.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using io::Json;
using test::error_of;

TEST(Readers, EveryTypeIsDocumented) {
  std::ifstream in(SETOK_SOURCE_DIR "/docs/data.md");
  std::stringstream doc;
  doc << in.rdbuf();
  ASSERT_FALSE(doc.str().empty());
  for (const ReaderInfo& r : dataset_readers())
    EXPECT_NE(doc.str().find("`" + r.type + "`"), std::string::npos) << r.type;
  EXPECT_EQ(dataset_reader("magicbrush").kind, DatasetKind::kEdit);
  EXPECT_EQ(find_dataset_reader("laion"), nullptr);
  const std::string e = error_of([] { dataset_reader("laion"); });
  EXPECT_NE(e.find("unknown dataset type 'laion' (pair, instruct, edit,"), std::string::npos) << e;
}

TEST(Readers, SecondFilesAndOptionsBelongToTheirLayouts) {
  test::TempDir dir;
  io::write_json(dir / "pairs.json", {{{"image", "a.png"}, {"caption", "a red circle"}}});
  ReadOptions o;
  o.path = dir / "pairs.json";
  o.second = dir / "other.json";
  EXPECT_NE(error_of([&] { read_dataset("pair", o); }).find("a pair dataset reads one file"),
            std::string::npos);
  o.second.clear();
  o.caption_template = "a photo of a {}.";
  EXPECT_NE(error_of([&] { read_dataset("pair", o); }).find("caption template is for imagenet"),
            std::string::npos);
  o.caption_template = "{}";
  o.answer_style = AnswerStyle::kMultipleChoice;
  EXPECT_NE(error_of([&] { read_dataset("gqa", o); }).find("multiple_choice is A-OKVQA's"),
            std::string::npos);
  o.answer_style = AnswerStyle::kShort;
  EXPECT_NE(error_of([&] { read_dataset("vqav2", o); }).find("needs its annotations file"),
            std::string::npos);
  const AnyDataset ds = read_dataset("pair", o);
  EXPECT_EQ(kind_of(ds), DatasetKind::kPair);
  EXPECT_EQ(size_of(ds), 1u);
}

TEST(Readers, ImagenetClassPrompts) {
  test::TempDir dir;
  io::write_json(dir / "data.json", {{{"image", "n01440764/a.JPEG"}, {"label", 0}},
                                     {{"image", "n01443537/b.JPEG"}, {"label", "n01443537"}}});
  std::ofstream(dir / "LOC_synset_mapping.txt")
      << "n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\n";
  ReadOptions o;
  o.path = dir / "data.json";
  o.second = dir / "LOC_synset_mapping.txt";
  o.caption_template = "a photo of a {}.";
  const auto ds = std::get<PairDataset>(read_dataset("imagenet", o));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.records[0].caption, "a photo of a tench.");
  EXPECT_EQ(ds.records[1].caption, "a photo of a goldfish.");
  EXPECT_EQ(ds.records[0].phrases, (std::vector<std::string>{"tench"}));  // the concept stays
  o.caption_template = "{}";
  EXPECT_EQ(std::get<PairDataset>(read_dataset("imagenet", o)).records[0].caption, "tench");
  EXPECT_EQ(fill_caption_template("{} in the wild", "a goldfish"), "a goldfish in the wild");
  EXPECT_NE(error_of([] { fill_caption_template("a photo", "x"); }).find("needs \"{}\""),
            std::string::npos);
}

// Converted, then read back by our own reader: the same records.
TEST(Readers, NewLayoutsRoundTripThroughConvert) {
  test::TempDir dir;
  io::write_json(
      dir / "panda.json",
      {{{"image_name", "000000426538"},
        {"conversation",
         {{{"from", "human"}, {"value", "What?"}}, {{"from", "gpt"}, {"value", "A."}}}}}});
  io::write_json(
      dir / "edit_sessions.json",
      {{"5",
        {{{"input", "5-input.png"}, {"output", "5-output1.png"}, {"instruction", "a"}},
         {{"input", "5-output1.png"}, {"output", "5-output2.png"}, {"instruction", "b"}}}}});
  ConvertOptions o;
  o.type = "pandagpt";
  o.inputs = {dir / "panda.json"};
  o.image_root = dir / "coco";
  o.out = dir / "panda_ours.json";
  ConvertResult r = convert_dataset(o);
  EXPECT_EQ(r.kind, "instruct");
  EXPECT_EQ(r.written, 1);
  ReadOptions panda;
  panda.path = o.inputs[0];
  panda.image_root = o.image_root;
  const auto source = std::get<InstructDataset>(read_dataset("pandagpt", panda));
  const InstructDataset back = load_instruct_dataset(o.out, dir / "coco");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.records[0].id, source.records[0].id);
  EXPECT_EQ(back.records[0].image, dir / "coco" / "000000426538.jpg");
  EXPECT_EQ(back.records[0].conversations[0].value, "<image>\nWhat?");
  o.type = "magicbrush";
  o.inputs = {dir / "edit_sessions.json"};
  o.image_root = dir.path();
  o.out = dir / "magicbrush_ours.json";
  r = convert_dataset(o);
  EXPECT_EQ(r.kind, "edit");
  EXPECT_EQ(r.written, 2);
  const EditDataset edits = load_edit_dataset(o.out, dir.path());
  ASSERT_EQ(edits.size(), 2u);
  EXPECT_EQ(edits.records[1].source, dir.path() / "images" / "5" / "5-output1.png");
  EXPECT_EQ(edits.records[1].target, dir.path() / "images" / "5" / "5-output2.png");
  EXPECT_EQ(edits.records[1].instruction, "b");
  o.inputs = {dir / "edit_sessions.json", dir / "extra.json"};
  EXPECT_NE(error_of([&] {
              convert_dataset(o);
            }).find("convert --type magicbrush: --input takes edit_sessions.json, got 2"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::data
