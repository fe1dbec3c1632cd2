#include "setok/data/scenes.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/data/scene_dataset.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

namespace fs = std::filesystem;

TEST(Scenes, SameSeedSameSceneDifferentSeedDifferent) {
  SceneOptions o;
  const Scene a = sample_scene(7, 3, o), b = sample_scene(7, 3, o), c = sample_scene(8, 3, o);
  EXPECT_EQ(a.caption(), b.caption());
  const RenderedScene ra = render_scene(a), rb = render_scene(b);
  EXPECT_TRUE(at::equal(ra.image, rb.image));
  EXPECT_TRUE(at::equal(ra.mask, rb.mask));
  EXPECT_FALSE(a.caption() == c.caption() && at::equal(ra.image, render_scene(c).image));
}

TEST(Scenes, MaskMatchesTheDrawnObjects) {
  SceneOptions o;
  o.image_size = 48;
  for (uint64_t i = 0; i < 20; ++i) {
    const Scene s = sample_scene(1, i, o);
    const RenderedScene r = render_scene(s);
    ASSERT_EQ(r.image.sizes(), (std::vector<int64_t>{3, 48, 48}));
    ASSERT_EQ(r.mask.sizes(), (std::vector<int64_t>{48, 48}));
    EXPECT_LE(r.mask.max().item<int>(), static_cast<int>(s.objects.size()));
    for (size_t k = 0; k < s.objects.size(); ++k) {
      const at::Tensor here = r.mask.eq(static_cast<int64_t>(k + 1));
      if (!here.any().item<bool>()) continue;  // fully occluded
      // Every pixel labelled k has exactly object k's colour.
      const at::Tensor pixels = r.image.masked_select(here.unsqueeze(0)).view({3, -1});
      EXPECT_EQ((pixels - pixels.select(1, 0).unsqueeze(1)).abs().max().item<int>(), 0)
          << "scene " << i;
      // The object's centre pixel belongs to it unless a later object covers it.
      const auto& obj = s.objects[k];
      const int64_t cy = static_cast<int64_t>(obj.cy), cx = static_cast<int64_t>(obj.cx);
      const int label = r.mask[cy][cx].item<int>();
      EXPECT_TRUE(label == static_cast<int>(k + 1) || label > static_cast<int>(k + 1))
          << "scene " << i << " object " << k << " (" << obj.shape << ")";
    }
  }
}

TEST(Scenes, WordsDescribeTheScene) {
  SceneOptions o;
  o.min_objects = o.max_objects = 3;
  const Scene s = sample_scene(2, 0, o);
  EXPECT_EQ(s.caption().rfind("three objects: ", 0), 0u) << s.caption();
  ASSERT_EQ(s.phrases().size(), 3u);
  for (const auto& p : s.phrases()) EXPECT_NE(s.caption().find(p), std::string::npos);
  const auto qa = scene_questions(s);
  ASSERT_GE(qa.size(), 2u);
  EXPECT_EQ(qa[0].answer, "three");
  const SceneEdit e = sample_edit(s, 2, 0, o);
  EXPECT_FALSE(e.instruction.empty());
  if (e.kind == "add") {
    EXPECT_EQ(e.target.objects.size(), 4u);
  } else if (e.kind == "remove") {
    EXPECT_EQ(e.target.objects.size(), 2u);
  } else if (e.kind == "recolour") {
    EXPECT_NE(e.target.caption(), s.caption());
  } else {
    ASSERT_EQ(e.kind, "move");
    bool moved = false;
    for (size_t k = 0; k < s.objects.size(); ++k)
      moved |= e.target.objects[k].where != s.objects[k].where;
    EXPECT_TRUE(moved);
  }
  // Every kind appears over a few scenes.
  std::set<std::string> kinds;
  const SceneOptions any;  // 1-6 objects: every kind is possible
  for (uint64_t i = 0; i < 40; ++i)
    kinds.insert(sample_edit(sample_scene(2, i, any), 2, i, any).kind);
  EXPECT_EQ(kinds.size(), 4u);
  EXPECT_THROW(sample_scene(0, 0, SceneOptions{8, 1, 6, true}), Error);
}

TEST(Scenes, SingleQuestionsCoverEveryTypeAndRepeat) {
  const SceneOptions any;
  std::map<std::string, int> per_type;
  for (uint64_t i = 0; i < 300; ++i) {
    const Scene s = sample_scene(5, i, any);
    const QA one = sample_single_question(s, 5, i);
    const QA again = sample_single_question(s, 5, i);
    EXPECT_EQ(one.question, again.question);
    bool listed = false;
    for (const QA& q : scene_questions(s))
      listed |= q.question == one.question && q.answer == one.answer && q.type == one.type;
    EXPECT_TRUE(listed) << one.question;
    per_type[one.type]++;
  }
  // Types are drawn uniformly among those a scene has: the object count is not the only one,
  // and no type dominates the way the first turn of the conversations does.
  ASSERT_EQ(per_type.size(), 3u);
  for (const auto& [type, n] : per_type) {
    EXPECT_GT(n, 50) << type;
    EXPECT_LT(n, 150) << type;
  }
}

TEST(SceneDataset, WritesSplitsJsonAndImages) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  SceneDatasetOptions o;
  o.num = 10;
  o.seed = 4;
  o.heldout_fraction = 0.2;
  o.threads = 2;
  o.scene.image_size = 32;
  const auto summary = write_scene_dataset(dir.path(), o);
  EXPECT_EQ(summary.train, 8);
  EXPECT_EQ(summary.heldout, 2);
  const io::Json pair = io::read_json(dir / "train" / "pair.json");
  ASSERT_EQ(pair.size(), 8u);
  for (const auto& r : pair) {
    const at::Tensor img = io::read_image(dir / r["image"].get<std::string>());
    EXPECT_EQ(img.sizes(), (std::vector<int64_t>{3, 32, 32}));
    const at::Tensor mask = io::read_image(dir / r["mask"].get<std::string>())[0];
    EXPECT_LE(mask.max().item<int>(), r["num_objects"].get<int>());
    EXPECT_EQ(r["phrases"].size(), r["num_objects"].get<size_t>());
  }
  const io::Json instruct = io::read_json(dir / "heldout" / "instruct.json");
  ASSERT_EQ(instruct.size(), 2u);  // held out: the conversations only
  EXPECT_EQ(instruct[0]["conversations"][0]["value"].get<std::string>().rfind("<image>\n", 0), 0u);
  // Training: each scene's conversation, then its single question (two turns, image first).
  const io::Json train_instruct = io::read_json(dir / "train" / "instruct.json");
  ASSERT_EQ(train_instruct.size(), 16u);
  for (size_t i = 0; i < 8; ++i) {
    const io::Json& conv = train_instruct[2 * i];
    const io::Json& single = train_instruct[2 * i + 1];
    EXPECT_EQ(single["id"].get<std::string>(), conv["id"].get<std::string>() + "-single");
    EXPECT_EQ(single["image"], conv["image"]);
    ASSERT_EQ(single["conversations"].size(), 2u);
    const std::string q = single["conversations"][0]["value"].get<std::string>();
    ASSERT_EQ(q.rfind("<image>\n", 0), 0u) << q;
    // The single question is one of the conversation's, with the same answer.
    bool found = false;
    for (size_t t = 0; t + 1 < conv["conversations"].size(); t += 2) {
      std::string asked = conv["conversations"][t]["value"].get<std::string>();
      if (asked.rfind("<image>\n", 0) != 0) asked = "<image>\n" + asked;
      found |= asked == q &&
               conv["conversations"][t + 1]["value"] == single["conversations"][1]["value"];
    }
    EXPECT_TRUE(found) << q;
  }
  const io::Json edit = io::read_json(dir / "train" / "edit.json");
  EXPECT_TRUE(fs::exists(dir / edit[0]["target"].get<std::string>()));
  EXPECT_GT(io::read_file(dir / "text.txt").size(), 100u);
  // Same seed, same bytes.
  test::TempDir again;
  write_scene_dataset(again.path(), o);
  EXPECT_EQ(io::read_file(dir / "images/train/000003.png"),
            io::read_file(again / "images/train/000003.png"));
  EXPECT_EQ(io::read_file(dir / "train/pair.json"), io::read_file(again / "train/pair.json"));
}

}  // namespace
}  // namespace setok::data
