// The built-in PNG codec (io/png.h): what an OpenCV-free build reads and writes. Hand-made files
// cover every colour type, the low and 16-bit depths and each row filter; in the OpenCV build
// the codec is also checked against OpenCV's (libpng's) encoder and decoder.
#include "setok/io/png.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/io/image.h"

#if SETOK_TEST_ZLIB
#include <zlib.h>
#endif

namespace setok::io {
namespace {

using test::error_of;

#if SETOK_TEST_ZLIB

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

std::string raw_chunk(const char* type, const std::string& data) {
  std::string out;
  put_be32(out, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  put_be32(out, static_cast<uint32_t>(
                    crc32(0L, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  return out;
}

// A PNG file from already filtered rows (each starting with its filter byte).
std::string raw_png(uint32_t width, uint32_t height, int depth, int colour_type,
                    const std::string& filtered_rows, const std::string& palette = "",
                    int interlace = 0) {
  std::string header;
  put_be32(header, width);
  put_be32(header, height);
  header += std::string{static_cast<char>(depth), static_cast<char>(colour_type), 0, 0,
                        static_cast<char>(interlace)};
  uLongf size = compressBound(filtered_rows.size());
  std::string z(size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(z.data()), &size,
                     reinterpret_cast<const Bytef*>(filtered_rows.data()), filtered_rows.size()),
            Z_OK);
  z.resize(size);
  std::string out = "\x89PNG\r\n\x1a\n";
  out += raw_chunk("IHDR", header);
  if (!palette.empty()) out += raw_chunk("PLTE", palette);
  out += raw_chunk("IDAT", z);
  out += raw_chunk("IEND", "");
  return out;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// Pixel (x, y) of a decoded [3, H, W] picture.
std::vector<int> pixel(const at::Tensor& img, int64_t x, int64_t y) {
  return {img[0][y][x].item<int>(), img[1][y][x].item<int>(), img[2][y][x].item<int>()};
}

using Rgb = std::vector<int>;

TEST(Png, PaletteAtTwoBitsPerPixel) {
  // Indices [0 1 2] and [3 2 1]: 00 01 10 (pad) = 0x18, 11 10 01 (pad) = 0xE4.
  const std::string plte = bytes({255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255});
  const at::Tensor img = decode_png(raw_png(3, 2, 2, 3, bytes({0, 0x18, 0, 0xE4}), plte), "p");
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{3, 2, 3}));
  EXPECT_EQ(pixel(img, 0, 0), (Rgb{255, 0, 0}));
  EXPECT_EQ(pixel(img, 1, 0), (Rgb{0, 255, 0}));
  EXPECT_EQ(pixel(img, 2, 0), (Rgb{0, 0, 255}));
  EXPECT_EQ(pixel(img, 0, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(pixel(img, 1, 1), (Rgb{0, 0, 255}));
  EXPECT_EQ(pixel(img, 2, 1), (Rgb{0, 255, 0}));
}

TEST(Png, OneBitGreyScalesToFullRange) {
  // 1010110000: 0xAC then 00 (the last six bits are padding).
  const at::Tensor img = decode_png(raw_png(10, 1, 1, 0, bytes({0, 0xAC, 0x00})), "g");
  const std::vector<int> want{255, 0, 255, 0, 255, 255, 0, 0, 0, 0};
  for (int64_t x = 0; x < 10; ++x) EXPECT_EQ(pixel(img, x, 0), Rgb(3, want[x])) << x;
}

TEST(Png, SixteenBitRgbWithSubAndUpFilters) {
  // Row 0 raw: (FFFF 0000 6464) (0A0A C8C8 FFFF); Sub subtracts the pixel 6 bytes back.
  // Row 1 is row 0 again under Up: all zero residuals.
  const std::string rows =
      bytes({1, 0xFF, 0xFF, 0x00, 0x00, 0x64, 0x64, 0x0B, 0x0B, 0xC8, 0xC8, 0x9B, 0x9B}) +
      bytes({2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const at::Tensor img = decode_png(raw_png(2, 2, 16, 2, rows), "rgb16");
  for (int64_t y = 0; y < 2; ++y) {
    EXPECT_EQ(pixel(img, 0, y), (Rgb{255, 0, 100})) << y;
    EXPECT_EQ(pixel(img, 1, y), (Rgb{10, 200, 255})) << y;
  }
}

TEST(Png, GreyAlphaWithPaethAndRgbaWithAverage) {
  // Grey + alpha (50, 255) (60, 0), Paeth: the second pixel predicts from its left neighbour.
  const at::Tensor ga = decode_png(raw_png(2, 1, 8, 4, bytes({4, 50, 255, 10, 1})), "ga");
  EXPECT_EQ(pixel(ga, 0, 0), (Rgb{50, 50, 50}));
  EXPECT_EQ(pixel(ga, 1, 0), (Rgb{60, 60, 60}));
  // RGBA (10 20 30 40) over (20 40 60 80); the second row under Average: (0 + up) / 2.
  const at::Tensor rgba =
      decode_png(raw_png(1, 2, 8, 6, bytes({0, 10, 20, 30, 40, 3, 15, 30, 45, 60})), "rgba");
  EXPECT_EQ(pixel(rgba, 0, 0), (Rgb{10, 20, 30}));
  EXPECT_EQ(pixel(rgba, 0, 1), (Rgb{20, 40, 60}));
}

TEST(Png, BrokenFilesAreNamedErrors) {
  const std::string good = raw_png(2, 1, 8, 0, bytes({0, 1, 2}));
  ASSERT_NO_THROW(decode_png(good, "good"));
  std::string bad_crc = good;
  bad_crc[8 + 4 + 4 + 13] ^= 1;  // IHDR's CRC
  // Each broken file and the words its error must contain.
  const std::string two = bytes({0, 0, 0, 9, 9, 9});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {bad_crc, "f.png: corrupt PNG (CRC mismatch in chunk IHDR"},
      {good.substr(0, 40), "f.png: corrupt PNG (truncated"},
      {raw_png(2, 1, 8, 0, bytes({0, 1, 2}), "", 1), "f.png: interlaced"},
      {raw_png(2, 1, 8, 0, bytes({7, 1, 2})), "filter type 7 in row 0"},
      {raw_png(2, 1, 8, 0, bytes({0, 1})), "f.png: corrupt PNG (image data holds 2 of 3 bytes)"},
      {raw_png(1, 1, 2, 3, bytes({0, 0xC0}), two), "palette index 3 of 2"},
      {raw_png(1, 1, 3, 2, bytes({0, 1, 2, 3})), "bit depth 3"},
      {raw_png(1, 1, 8, 5, bytes({0, 1})), "f.png: corrupt PNG (colour type 5)"},
      {"GIF89a", "f.png: not a PNG"}};
  for (const auto& [file, words] : cases) {
    const std::string what = error_of([&] { decode_png(file, "f.png"); });
    EXPECT_NE(what.find(words), std::string::npos) << what;
  }
}

#endif  // SETOK_TEST_ZLIB

// Noise (every filter pays off somewhere) and a smooth ramp (Sub / Up / Paeth win), odd sizes.
std::vector<at::Tensor> png_test_pictures() {
  at::manual_seed(3);
  const at::Tensor noise = at::randint(0, 256, {3, 37, 53}, at::kLong).to(at::kByte);
  const at::Tensor ramp =
      (at::arange(29 * 31, at::kLong).reshape({1, 29, 31}) % 200).to(at::kByte).repeat({3, 1, 1});
  const at::Tensor grey = at::randint(0, 256, {1, 9, 5}, at::kLong).to(at::kByte);
  return {noise, ramp.contiguous(), grey};
}

TEST(Png, RoundTripIsExact) {
  if (!png_codec_available()) GTEST_SKIP() << "built without zlib";
  for (const at::Tensor& img : png_test_pictures()) {
    const at::Tensor back = decode_png(encode_png(img, "rt"), "rt");
    EXPECT_TRUE(at::equal(back, img.expand({3, img.size(1), img.size(2)}))) << img.sizes();
  }
}

TEST(Png, AgreesWithOpenCvBothWays) {
  if (!png_codec_available() || !has_drawing_support())
    GTEST_SKIP() << "needs both OpenCV and zlib";
  for (const at::Tensor& img : png_test_pictures()) {
    const at::Tensor rgb = img.expand({3, img.size(1), img.size(2)});
    EXPECT_TRUE(at::equal(decode_png(encode_image(img, ".png"), "cv"), rgb)) << img.sizes();
    EXPECT_TRUE(at::equal(decode_image(encode_png(img, "ours"), "ours"), rgb)) << img.sizes();
  }
}

}  // namespace
}  // namespace setok::io
