// COCO captions in COCO's layout: one pair record per caption, images by id.
#include "setok/data/coco_captions.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using test::error_of;

TEST(CocoCaptions, OneRecordPerCaptionWithItsImage) {
  test::TempDir dir;
  io::write_json(dir / "captions_val2017.json",
                 {{"images",
                   {{{"id", 139}, {"file_name", "000000000139.jpg"}},
                    {{"id", 285}, {"file_name", "000000000285.jpg"}}}},
                  {"annotations",
                   {{{"image_id", 285}, {"id", 1}, {"caption", "A big brown bear.\n"}},
                    {{"image_id", 139}, {"id", 2}, {"caption", " A living room. "}},
                    {{"image_id", 285}, {"id", 3}, {"caption", "A bear in the grass."}},
                    {{"image_id", 7}, {"id", 4}, {"caption", "orphan"}},
                    {{"image_id", 139}, {"id", 5}, {"caption", "  "}}}}});
  const auto file = dir / "captions_val2017.json";
  // The annotations are checked as they stream by, the image join after the file is read.
  std::string e = error_of([&] { load_coco_captions(file, dir / "val2017"); });
  EXPECT_NE(e.find("captions_val2017.json: annotation 4: empty caption"), std::string::npos) << e;
  io::write_json(dir / "orphan.json",
                 {{"annotations",
                   {{{"image_id", 139}, {"caption", "x"}},
                    {{"image_id", 7}, {"id", 4}, {"caption", "orphan"}}}},
                  {"images", {{{"id", 139}, {"file_name", "000000000139.jpg"}}}}});
  e = error_of([&] { load_coco_captions(dir / "orphan.json", dir / "val2017"); });
  EXPECT_NE(e.find("orphan.json: annotation 1: image_id 7 is not in \"images\""), std::string::npos)
      << e;
  const PairDataset ds = load_coco_captions(file, dir / "val2017", true);
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.skipped, 2);  // the orphan and the empty caption
  EXPECT_EQ(ds.records[0].image, dir / "val2017" / "000000000285.jpg");
  EXPECT_EQ(ds.records[0].caption, "A big brown bear.");
  EXPECT_EQ(ds.records[1].caption, "A living room.");
  EXPECT_EQ(ds.records[2].image, dir / "val2017" / "000000000285.jpg");
  EXPECT_TRUE(ds.records[0].phrases.empty());
  io::write_json(dir / "bad.json", {{"annotations", io::Json::array()}});
  EXPECT_NE(error_of([&] {
              load_coco_captions(dir / "bad.json", {});
            }).find("needs the array \"images\""),
            std::string::npos);
}

}  // namespace
}  // namespace setok::data
