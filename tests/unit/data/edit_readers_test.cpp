// The editing corpora in their publishers' layouts, written here: InstructPix2Pix's seeds.json +
// prompt folders, MagicBrush's edit_sessions.json + images/<id>/ folders.
#include "setok/data/edit_readers.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using io::Json;
using test::error_of;

TEST(InstructPix2Pix, EverySeedOfEveryPromptIsARecord) {
  test::TempDir dir;
  const auto root = dir / "clip-filtered-dataset";
  std::filesystem::create_directories(root / "0000000");
  std::filesystem::create_directories(root / "0000001");
  io::write_json(
      root / "0000000" / "prompt.json",
      {{"input", "a photo of a cat"}, {"edit", "make it a dog"}, {"output", "a photo of a dog"}});
  io::write_json(root / "0000001" / "prompt.json",
                 {{"input", "a red car"}, {"edit", "paint it blue"}});
  io::write_json(root / "seeds.json", Json::array({Json::array({"0000000", {1234, 5678}}),
                                                   Json::array({"0000001", {42}})}));
  const EditDataset ds = load_instructpix2pix(root / "seeds.json", {});
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.records[0].source, root / "0000000" / "1234_0.jpg");
  EXPECT_EQ(ds.records[0].target, root / "0000000" / "1234_1.jpg");
  EXPECT_EQ(ds.records[0].instruction, "make it a dog");
  EXPECT_EQ(ds.records[1].source, root / "0000000" / "5678_0.jpg");
  EXPECT_EQ(ds.records[2].instruction, "paint it blue");
  EXPECT_EQ(ds.record_index, (std::vector<int64_t>{0, 0, 1}));
}

TEST(InstructPix2Pix, BadEntriesNameTheFileOrAreSkippedWhole) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "a");
  io::write_json(dir / "a" / "prompt.json", {{"edit", "x"}});
  // Entry 1 has no prompt.json; entry 2 a bad seed after a good one (nothing of it is kept).
  io::write_json(dir / "seeds.json",
                 Json::array({Json::array({"a", {1}}), Json::array({"missing", {2}}),
                              Json::array({"a", {3, 1.5}}), "not an entry"}));
  std::string e = error_of([&] { load_instructpix2pix(dir / "seeds.json", {}); });
  EXPECT_NE(e.find("seeds.json: entry 1: "), std::string::npos) << e;
  EXPECT_NE(e.find("missing/prompt.json"), std::string::npos) << e;
  const EditDataset ds = load_instructpix2pix(dir / "seeds.json", {}, true);
  EXPECT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds.skipped, 3);
  io::write_json(dir / "flat.json", {{"a", 1}});
  EXPECT_NE(error_of([&] {
              load_instructpix2pix(dir / "flat.json", {});
            }).find("flat.json: seeds.json is a JSON array"),
            std::string::npos);
}

TEST(MagicBrush, SessionsBecomeSuccessiveEdits) {
  test::TempDir dir;
  auto turn = [](const std::string& in, const std::string& out, const std::string& mask,
                 const char* instruction) {
    return Json{{"input", in}, {"mask", mask}, {"output", out}, {"instruction", instruction}};
  };
  io::write_json(
      dir / "edit_sessions.json",
      {{"327726",
        {turn("327726-input.png", "327726-output1.png", "327726-mask1.png", "put a hat on the dog"),
         turn("327726-output1.png", "327726-output2.png", "327726-mask2.png", "make the hat red")}},
       {"30", {turn("30-input.png", "30-output1.png", "30-mask1.png", "add snow")}},
       {"99", {{{"input", "99-input.png"}, {"output", "99-output1.png"}}}},
       {"7", "not a session"}});
  std::string e = error_of([&] { load_magicbrush(dir / "edit_sessions.json", {}); });
  // Sessions in key order: "30", "327726", "7", "99".
  EXPECT_NE(e.find("edit_sessions.json: session 7: expected an array of turns"), std::string::npos)
      << e;
  const EditDataset ds = load_magicbrush(dir / "edit_sessions.json", {}, true);
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.skipped, 2);  // session 7, and 99's turn without an instruction
  EXPECT_EQ(ds.records[0].source, dir / "images" / "30" / "30-input.png");
  EXPECT_EQ(ds.records[0].instruction, "add snow");
  EXPECT_EQ(ds.records[1].source, dir / "images" / "327726" / "327726-input.png");
  EXPECT_EQ(ds.records[1].target, dir / "images" / "327726" / "327726-output1.png");
  // The second turn edits the first turn's result.
  EXPECT_EQ(ds.records[2].source, ds.records[1].target);
  EXPECT_EQ(ds.records[2].target, dir / "images" / "327726" / "327726-output2.png");
  EXPECT_EQ(ds.records[2].instruction, "make the hat red");
  EXPECT_EQ(ds.record_index, (std::vector<int64_t>{0, 1, 2}));
  e = error_of([&] {
    io::write_json(dir / "one.json", {{"99", {{{"input", "a.png"}, {"output", "b.png"}}}}});
    load_magicbrush(dir / "one.json", {});
  });
  EXPECT_NE(e.find("one.json: session 99: turn 0: missing \"instruction\""), std::string::npos)
      << e;
  io::write_json(dir / "array.json", Json::array({1}));
  EXPECT_NE(error_of([&] {
              load_magicbrush(dir / "array.json", {});
            }).find("array.json: edit_sessions.json is an object"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::data
