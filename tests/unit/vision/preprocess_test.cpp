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

}  // namespace
}  // namespace setok::vision
