// The editing corpora in their publishers' layouts: InstructPix2Pix's seeds.json + prompt
// folders, written here.
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

}  // namespace
}  // namespace setok::data
