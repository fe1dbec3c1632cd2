// The scene reader is an instrument: validated on ground-truth renders of the world (exact
// object count and colour set on >= 95 % of scenes, with textured backgrounds), and by hand on
// drawn cases.
#include "setok/data/scene_reading.h"

#include <set>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "errors.h"
#include "setok/data/scenes.h"

namespace setok::data {
namespace {

// The reader's constants were set on world seed 5; this validates on seed 11, which they never
// saw. Truth: the objects with at least min_area visible pixels (an object hidden behind others
// cannot be read from any picture) and their colours.
TEST(SceneReading, GroundTruthScenes) {
  SceneOptions o;
  const int n = 300;
  int count_right = 0, colours_right = 0;
  for (int i = 0; i < n; ++i) {
    const Scene s = sample_scene(11, static_cast<uint64_t>(i), o);
    const RenderedScene rs = render_scene(s);
    const SceneReading r = read_scene_image(rs.image);
    std::set<std::string> want;
    int64_t visible = 0;
    for (size_t k = 0; k < s.objects.size(); ++k) {
      if (rs.mask.eq(static_cast<int64_t>(k + 1)).sum().item<int64_t>() < 6) continue;
      ++visible;
      want.insert(s.objects[k].colour);
    }
    count_right += r.objects == visible;
    colours_right += std::vector<std::string>(want.begin(), want.end()) == r.colours;
  }
  // Printed for the record (docs/data.md quotes it). Issue 12's goal is >= 95 % for both.
  // Measured on this CPU build: count 95.0 % (285 / 300), colour set 100 %.
  std::printf("scene reader on %d ground-truth scenes: count %.1f %%, colour set %.1f %%\n", n,
              100.0 * count_right / n, 100.0 * colours_right / n);
  EXPECT_GE(count_right, n * 95 / 100);
  EXPECT_GE(colours_right, n * 95 / 100);
}

// Model pixels in [-1, 1] read as the bytes a PNG of them holds.
TEST(SceneReading, ModelPixelsReadAsTheirBytes) {
  const RenderedScene rs = render_scene(sample_scene(11, 3, SceneOptions{}));
  const at::Tensor pixels = rs.image.to(at::kFloat) / 127.5 - 1;  // [3, H, W] in [-1, 1]
  EXPECT_TRUE(at::equal(pixels_to_bytes(pixels), rs.image));
  EXPECT_TRUE(
      at::equal(pixels_to_bytes(at::full({3, 2, 2}, 5.0)), at::full({3, 2, 2}, 255, at::kByte)));
  EXPECT_TRUE(
      at::equal(pixels_to_bytes(at::full({3, 2, 2}, -5.0)), at::zeros({3, 2, 2}, at::kByte)));
  const SceneReading a = read_scene_pixels(pixels), b = read_scene_image(rs.image);
  EXPECT_EQ(a.objects, b.objects);
  EXPECT_EQ(a.colours, b.colours);
  EXPECT_GT(b.objects, 0);
}

TEST(SceneReading, DrawnCases) {
  at::Tensor img = at::full({3, 20, 20}, 30, at::kByte);  // dark background
  auto paint = [&](int y, int x, int h, int w, const std::string& colour) {
    const auto c = scene_colour_rgb(colour);
    for (int ch = 0; ch < 3; ++ch) img[ch].narrow(0, y, h).narrow(1, x, w).fill_(c[ch]);
  };
  paint(1, 1, 4, 4, "red");
  paint(1, 10, 4, 4, "red");  // a second red object, apart
  paint(12, 2, 5, 5, "blue");
  paint(12, 15, 1, 2, "green");  // 2 pixels: noise, not an object or a colour
  SceneReading r = read_scene_image(img);
  EXPECT_EQ(r.objects, 3);
  EXPECT_EQ(r.colours, (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(r.objects_of, (std::map<std::string, int64_t>{{"blue", 1}, {"red", 2}}));
  // Foreign colours: of 3 objects, the blue one is not named by "red" only.
  EXPECT_DOUBLE_EQ(foreign_colour_fraction(r, {"red"}), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(foreign_colour_fraction(r, {"blue", "red"}), 0.0);
  EXPECT_DOUBLE_EQ(foreign_colour_fraction(r, {}), 1.0);
  EXPECT_DOUBLE_EQ(foreign_colour_fraction(SceneReading{}, {}), 0.0);
  paint(1, 5, 4, 5, "red");  // joins the two red squares: one region
  EXPECT_EQ(read_scene_image(img).objects, 2);
  // One blob of one colour, without a neck, larger than any single object can be: two.
  at::Tensor blob = at::full({3, 64, 64}, 30, at::kByte);
  const auto yellow = scene_colour_rgb("yellow");
  for (int ch = 0; ch < 3; ++ch) blob[ch].narrow(0, 10, 30).narrow(1, 10, 30).fill_(yellow[ch]);
  EXPECT_EQ(read_scene_image(blob).objects, 2);  // 900 pixels > the largest square's 722
  for (int ch = 0; ch < 3; ++ch) blob[ch].narrow(0, 10, 30).narrow(1, 34, 6).fill_(30);
  EXPECT_EQ(read_scene_image(blob).objects, 1);  // 30 x 24 = 720: one object can be this big
  EXPECT_NE(test::error_of([] {
              read_scene_image(at::zeros({3, 4, 4}, at::kFloat));
            }).find("expected uint8 [3, H, W]"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::data
