// The stage-1 corpora in their publishers' layouts: small samples written here in each layout.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/data/instance_mask.h"
#include "setok/data/stage1_readers.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using test::error_of;
namespace fs = std::filesystem;

TEST(ImageNet, DataJsonWithSynsetMappingAndNames) {
  test::TempDir dir;
  io::write_file_atomic(dir / "LOC_synset_mapping.txt",
                        "n01440764 tench, Tinca tinca\n"
                        "n01443537 goldfish, Carassius auratus\n"
                        "n01484850 great white shark, white shark, man-eater\n");
  io::write_json(dir / "data.json", {{{"image", "n01440764/a.JPEG"}, {"label", 0}},
                                     {{"image", "n01484850/b.JPEG"}, {"label", "n01484850"}},
                                     {{"image", "c.JPEG"}, {"class", "golden retriever"}}});
  const PairDataset ds =
      load_imagenet(dir / "data.json", dir / "images", dir / "LOC_synset_mapping.txt");
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.records[0].caption, "tench");
  EXPECT_EQ(ds.records[0].phrases, (std::vector<std::string>{"tench"}));
  EXPECT_EQ(ds.records[0].image, dir / "images" / "n01440764" / "a.JPEG");
  EXPECT_EQ(ds.records[1].caption, "great white shark");
  EXPECT_EQ(ds.records[2].caption, "golden retriever");
  EXPECT_TRUE(ds.records[0].mask.empty());
  // One name per line works too; without a list, a string label is the name itself.
  io::write_file_atomic(dir / "names.txt", "tench\ngoldfish\n");
  io::write_json(dir / "two.json", {{{"image", "x.jpg"}, {"label", 1}}});
  EXPECT_EQ(load_imagenet(dir / "two.json", dir.path(), dir / "names.txt").records[0].caption,
            "goldfish");
  io::write_json(dir / "named.json", {{{"image", "x.jpg"}, {"label", "sea lion"}}});
  EXPECT_EQ(load_imagenet(dir / "named.json", dir.path(), {}).records[0].caption, "sea lion");
  // Errors name the file and record; skip_bad counts.
  io::write_json(dir / "bad.json", {{{"image", "x.jpg"}, {"label", 7}}, {{"label", 0}}});
  const std::string e =
      error_of([&] { load_imagenet(dir / "bad.json", dir.path(), dir / "names.txt"); });
  EXPECT_NE(e.find("bad.json: record 0: label 7 outside the class list's 2 classes"),
            std::string::npos)
      << e;
  EXPECT_EQ(load_imagenet(dir / "bad.json", dir.path(), dir / "names.txt", true).skipped, 2);
  EXPECT_NE(
      error_of([&] { load_imagenet(dir / "two.json", dir.path(), {}); }).find("needs a class list"),
      std::string::npos);
}

// COCO 2017 panoptic: segment ids encoded as R + 256 G + 256^2 B in the PNGs, categories from
// the JSON, the first caption of each image from captions_*.json.
TEST(CocoPanoptic, RecordsPhrasesCaptionsAndMasks) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  const fs::path ann = dir / "annotations";
  fs::create_directories(ann / "panoptic_val2017");
  // Image 1: a 4 x 6 map with segments 300 (left half, "person") and 70000 (right top, "sky");
  // the rest unlabelled (id 0).
  at::Tensor ids = at::zeros({4, 6}, at::kLong);
  ids.narrow(1, 0, 3).fill_(300);
  ids.narrow(0, 0, 2).narrow(1, 3, 3).fill_(70000);
  const at::Tensor rgb = at::stack({ids % 256, (ids / 256) % 256, ids / 65536}).to(at::kByte);
  io::write_image(ann / "panoptic_val2017" / "000000000001.png", rgb);
  EXPECT_TRUE(at::equal(panoptic_ids(rgb), ids));
  io::write_json(ann / "panoptic_val2017.json",
                 {{"images",
                   {{{"id", 1}, {"file_name", "000000000001.jpg"}},
                    {{"id", 2}, {"file_name", "000000000002.jpg"}}}},
                  {"annotations",
                   {{{"image_id", 1},
                     {"file_name", "000000000001.png"},
                     {"segments_info",
                      {{{"id", 300}, {"category_id", 1}}, {{"id", 70000}, {"category_id", 187}}}}},
                    {{"image_id", 2},
                     {"file_name", "000000000002.png"},
                     {"segments_info", io::Json::array()}}}},
                  {"categories",
                   {{{"id", 1}, {"name", "person"}, {"isthing", 1}},
                    {{"id", 187}, {"name", "sky-other-merged"}, {"isthing", 0}}}}});
  io::write_json(ann / "captions_val2017.json",
                 {{"annotations",
                   {{{"image_id", 1}, {"id", 9}, {"caption", "A person under the sky."}},
                    {{"image_id", 1}, {"id", 10}, {"caption", "Another caption."}}}}});
  const PairDataset ds = load_coco_panoptic(ann / "panoptic_val2017.json",
                                            ann / "captions_val2017.json", {}, dir / "val2017");
  ASSERT_EQ(ds.size(), 1u);  // image 2 has no segments: left out
  const PairRecord& r = ds.records[0];
  EXPECT_EQ(r.image, dir / "val2017" / "000000000001.jpg");
  EXPECT_EQ(r.caption, "A person under the sky.");
  EXPECT_EQ(r.phrases, (std::vector<std::string>{"person", "sky-other-merged"}));
  EXPECT_EQ(r.num_objects, 2);
  EXPECT_EQ(r.mask, ann / "panoptic_val2017" / "000000000001.png");
  at::Tensor want = at::zeros({4, 6}, at::kLong);
  want.narrow(1, 0, 3).fill_(1);
  want.narrow(0, 0, 2).narrow(1, 3, 3).fill_(2);
  EXPECT_TRUE(at::equal(read_instance_mask(r), want));
  // Without a captions file the caption lists the segments.
  EXPECT_EQ(
      load_coco_panoptic(ann / "panoptic_val2017.json", {}, {}, dir.path()).records[0].caption,
      "person, sky-other-merged");
  // An undefined category names the file and annotation.
  io::Json broken = io::read_json(ann / "panoptic_val2017.json");
  broken["annotations"][0]["segments_info"][1]["category_id"] = 999;
  io::write_json(ann / "broken.json", broken);
  const std::string e =
      error_of([&] { load_coco_panoptic(ann / "broken.json", {}, {}, dir.path()); });
  EXPECT_NE(e.find("broken.json: annotation 0: segments_info 1: category_id 999 is not defined"),
            std::string::npos)
      << e;
  EXPECT_EQ(load_coco_panoptic(ann / "broken.json", {}, {}, dir.path(), true).skipped, 1);
  EXPECT_NE(error_of([&] {
              load_coco_panoptic(ann / "captions_val2017.json", {}, {}, dir.path());
            }).find("needs the array \"images\""),
            std::string::npos);
}

}  // namespace
}  // namespace setok::data
