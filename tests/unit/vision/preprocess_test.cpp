#include "setok/vision/preprocess.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "temp_dir.h"

namespace setok::vision {
namespace {

using test::error_of;

TEST(Preprocess, NormalisesWithMeanAndStd) {
  ImagePreprocess o;
  o.size = 4;
  o.mean = {0.5, 0.25, 0.0};
  o.std = {0.5, 0.25, 1.0};
  at::Tensor img = at::zeros({3, 4, 4}, at::kByte);
  img[0].fill_(255);  // red channel 1.0 -> (1 - 0.5) / 0.5 = 1
  img[1].fill_(0);    // green 0 -> (0 - 0.25) / 0.25 = -1
  img[2].fill_(51);   // blue 0.2 -> 0.2
  const at::Tensor x = preprocess_image(img, o);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{3, 4, 4}));
  EXPECT_NEAR(x[0].mean().item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(x[1].mean().item<double>(), -1.0, 1e-6);
  EXPECT_NEAR(x[2].mean().item<double>(), 0.2, 1e-6);
  EXPECT_TRUE(at::equal(denormalize_image(x, o), img));
}

TEST(Preprocess, ResizesAndPadsToSquareWithTheMeanColour) {
  ImagePreprocess o;
  o.size = 8;
  at::Tensor wide = at::full({3, 4, 16}, 200, at::kByte);  // 4 x 16
  EXPECT_EQ(preprocess_image(wide, o).sizes(), (std::vector<int64_t>{3, 8, 8}));
  o.pad_to_square = true;
  const at::Tensor padded = preprocess_image(wide, o);  // 16 x 16 canvas, rows 6..9 the image
  // Top rows are the mean colour: exactly 0 after normalisation with mean 0.5.
  EXPECT_NEAR(padded.narrow(1, 0, 2).abs().max().item<double>(), 0.0, 0.01);
  // The image band (200/255 -> 0.57 before filtering) stands out from the background.
  EXPECT_GT(padded.narrow(1, 3, 2).mean().item<double>(), 0.25);
}

TEST(Preprocess, BadImagesAreErrors) {
  ImagePreprocess o;
  EXPECT_NE(error_of([&] {
              preprocess_image(at::zeros({4, 8, 8}, at::kByte), o, "a.png");
            }).find("a.png: expected an RGB image [3, H, W]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              preprocess_image(at::zeros({3, 8, 8}), o, "b.png");
            }).find("b.png: expected uint8"),
            std::string::npos);
  EXPECT_THROW(preprocess_image(at::zeros({3, 0, 8}, at::kByte), o), Error);
}

TEST(Preprocess, ReadsHfPreprocessorConfig) {
  test::TempDir dir;
  ImagePreprocess base;
  EXPECT_EQ(read_preprocessor_config(dir.path(), base).size, base.size);  // no file: unchanged
  io::write_file_atomic(
      dir / "preprocessor_config.json",
      R"({"image_mean": [0.1, 0.2, 0.3], "image_std": [1, 1, 1], "size": {"height": 384, "width": 384}})");
  const auto p = read_preprocessor_config(dir.path(), base);
  EXPECT_EQ(p.size, 384);
  EXPECT_DOUBLE_EQ(p.mean[2], 0.3);
  io::write_file_atomic(dir / "preprocessor_config.json", R"({"image_mean": [0.1]})");
  EXPECT_NE(error_of([&] {
              read_preprocessor_config(dir.path(), base);
            }).find("image_mean must be an array of 3"),
            std::string::npos);
}

// Letterboxing: the patches whose centre falls in the padding are not content; label maps are
// padded exactly like their images, with -1.
TEST(Preprocess, ContentPatchesAndLetterboxedLabels) {
  ImagePreprocess o;
  o.size = 8;
  o.pad_to_square = true;
  // A 8 x 4 (H x W) image on an 8-pixel input with 2-pixel patches: a 4 x 4 grid; the image
  // spans input columns [2, 6), so patch columns 1 and 2 (centres 3 and 5) hold content.
  const at::Tensor m = content_patch_mask(8, 4, o, 2).view({4, 4});
  const at::Tensor col = at::tensor({0, 1, 1, 0}).to(at::kBool);
  for (int64_t r = 0; r < 4; ++r) EXPECT_TRUE(at::equal(m[r], col)) << r;
  // A very thin image (input rows [3.92, 4.0): no patch centre inside) keeps the patch row
  // holding its middle, row 1 (input rows [2, 4)).
  const at::Tensor thin = content_patch_mask(1, 100, o, 2).view({4, 4});
  EXPECT_EQ(thin.sum().item<int64_t>(), 4);
  EXPECT_TRUE(thin[1].all().item<bool>());
  // Square images, or no padding: every patch.
  EXPECT_TRUE(content_patch_mask(8, 8, o, 2).all().item<bool>());
  ImagePreprocess stretch = o;
  stretch.pad_to_square = false;
  EXPECT_TRUE(content_patch_mask(8, 4, stretch, 2).all().item<bool>());
  // A floored grid: 8 / 3 -> 2 x 2 patches.
  EXPECT_EQ(content_patch_mask(8, 8, o, 3).numel(), 4);

  const at::Tensor labels = at::arange(8, at::kLong).view({2, 4});  // H 2, W 4
  const at::Tensor boxed = letterbox_labels(labels, o);
  ASSERT_EQ(boxed.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_TRUE((boxed[0] == -1).all().item<bool>());
  EXPECT_TRUE(at::equal(boxed[1], labels[0]));
  EXPECT_TRUE(at::equal(boxed[2], labels[1]));
  EXPECT_TRUE((boxed[3] == -1).all().item<bool>());
  EXPECT_TRUE(at::equal(letterbox_labels(labels, stretch), labels));
  EXPECT_THROW(letterbox_labels(at::zeros({3}), o), Error);
}

}  // namespace
}  // namespace setok::vision
