#include "setok/io/image.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::io {
namespace {

using test::error_of;

at::Tensor gradient_image() {
  // [3, 5, 7] with distinct values per channel and pixel.
  auto r = at::arange(35, at::kInt).reshape({5, 7}) * 7 % 256;
  return at::stack({r, (r + 80) % 256, (r * 3) % 256}).to(at::kByte);
}

// Eight bytes a PNG decoder recognises (and then fails on).
std::string encode_png_signature_only() {
  return "\x89PNG\r\n\x1a\n";
}

TEST(Image, PngRoundTripIsExactRgb) {
  if (!has_image_support()) GTEST_SKIP() << "built without OpenCV or zlib";
  test::TempDir dir;
  const at::Tensor img = gradient_image();
  write_image(dir / "g.png", img);
  const at::Tensor back = read_image(dir / "g.png");
  EXPECT_EQ(back.sizes(), img.sizes());
  EXPECT_TRUE(at::equal(back, img));  // also proves the channel order is RGB both ways
}

TEST(Image, GreyAndFloatInputs) {
  if (!has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  const at::Tensor grey = at::full({1, 4, 4}, 200, at::kByte);
  write_image(dir / "grey.png", grey);
  const at::Tensor back = read_image(dir / "grey.png");
  ASSERT_EQ(back.sizes(), (std::vector<int64_t>{3, 4, 4}));
  EXPECT_EQ(back.min().item<int>(), 200);
  EXPECT_EQ(back.max().item<int>(), 200);
  write_image(dir / "f.png", at::full({3, 2, 2}, 1.5));  // clamped to 255
  EXPECT_EQ(read_image(dir / "f.png").min().item<int>(), 255);
}

TEST(Image, BadFilesAreNamedErrors) {
  if (!has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  EXPECT_NE(error_of([&] { read_image(dir / "missing.png"); }).find("missing.png: no such file"),
            std::string::npos);
  write_file_atomic(dir / "corrupt.png", "\x89PNG\r\n\x1a\n garbage that is not an image");
  const std::string corrupt = error_of([&] { read_image(dir / "corrupt.png"); });
  // OpenCV's words, or the built-in codec's (an OpenCV-free build).
  EXPECT_TRUE(corrupt.find("corrupt.png: cannot decode") != std::string::npos ||
              corrupt.find("corrupt.png: corrupt PNG") != std::string::npos)
      << corrupt;
  write_file_atomic(dir / "empty.jpg", "");
  EXPECT_NE(error_of([&] { read_image(dir / "empty.jpg"); }).find("empty.jpg: empty image"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { write_image(dir / "x.unknownext", gradient_image()); }).find("x.unknownext"),
      std::string::npos);
}

TEST(Image, WrongTensorShapeIsAnError) {
  test::TempDir dir;
  const std::string what = error_of([&] { write_image(dir / "x.png", at::zeros({4, 4, 4})); });
  EXPECT_NE(what.find("x.png: expected an image tensor [3, H, W]"), std::string::npos) << what;
  EXPECT_FALSE(error_of([&] { write_image(dir / "y.png", at::zeros({3, 0, 4})); }).empty());
}

TEST(Image, OpenCvFreeBuildReadsAndWritesPngOnly) {
  if (has_drawing_support() || !has_image_support())
    GTEST_SKIP() << "for builds without OpenCV but with the PNG codec";
  test::TempDir dir;
  write_file_atomic(dir / "a.jpg", "\xff\xd8\xff\xe0 a JPEG header");
  std::string what = error_of([&] { read_image(dir / "a.jpg"); });
  EXPECT_NE(
      what.find("a.jpg: cannot decode image: not a PNG file; this build of setok (configured with "
                "-DSETOK_WITH_OPENCV=OFF) reads PNG only"),
      std::string::npos)
      << what;
  what = error_of([&] { write_image(dir / "b.jpg", gradient_image()); });
  EXPECT_NE(what.find("b.jpg: cannot write '.jpg' images"), std::string::npos) << what;
  write_image(dir / "c.PNG", gradient_image());  // the extension's case does not matter
  EXPECT_TRUE(at::equal(read_image(dir / "c.PNG"), gradient_image()));
  what = error_of([&] {
    at::Tensor canvas = at::zeros({8, 8, 3}, at::kByte);
    draw_dots(canvas, {{1.0, 1.0}}, {255, 255, 255});
  });
  EXPECT_NE(what.find("drawing dots: needs OpenCV"), std::string::npos) << what;
}

TEST(Image, BuildWithoutOpenCvOrZlibSaysSo) {
  if (has_image_support()) GTEST_SKIP() << "this build reads PNG";
  test::TempDir dir;
  write_file_atomic(dir / "a.png", encode_png_signature_only());
  const std::string what = error_of([&] { read_image(dir / "a.png"); });
  EXPECT_NE(what.find("a.png: this build has neither OpenCV nor zlib"), std::string::npos) << what;
}

}  // namespace
}  // namespace setok::io
