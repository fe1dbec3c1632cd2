// TensorBoard event files read back field by field: TFRecord framing with CRC-32C, then the
// Event / Summary / Value / Image protocol buffers, decoded here by a reader of our own.
#include "setok/io/tensorboard.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include <ATen/ATen.h>

#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "temp_dir.h"

namespace setok::io {
namespace {

namespace fs = std::filesystem;

// One protobuf field: its number, wire type and value (varint, fixed bits or bytes).
struct Field {
  int number = 0, wire = 0;
  uint64_t integer = 0;
  std::string bytes;
};

uint64_t read_varint(const std::string& s, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (at >= s.size()) throw std::runtime_error("truncated varint");
    const auto b = static_cast<unsigned char>(s[at++]);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
}

std::vector<Field> parse(const std::string& s) {
  std::vector<Field> out;
  for (size_t at = 0; at < s.size();) {
    const uint64_t key = read_varint(s, at);
    Field f;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.wire == 0) {
      f.integer = read_varint(s, at);
    } else if (f.wire == 1 || f.wire == 5) {
      const size_t n = f.wire == 1 ? 8 : 4;
      std::memcpy(&f.integer, s.data() + at, n);
      at += n;
    } else if (f.wire == 2) {
      const uint64_t n = read_varint(s, at);
      f.bytes = s.substr(at, n);
      at += n;
    } else {
      throw std::runtime_error("unexpected wire type");
    }
    out.push_back(f);
  }
  return out;
}

const Field* find(const std::vector<Field>& fields, int number) {
  for (const auto& f : fields) {
    if (f.number == number) return &f;
  }
  return nullptr;
}

uint32_t le32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

// The TFRecord payloads of a file, checking both CRCs of every record.
std::vector<std::string> records(const fs::path& file) {
  const std::string data = read_file(file);
  std::vector<std::string> out;
  for (size_t at = 0; at < data.size();) {
    const std::string length = data.substr(at, 8);
    uint64_t n;
    std::memcpy(&n, length.data(), 8);
    EXPECT_EQ(le32(data, at + 8), masked_crc32c(length));
    const std::string payload = data.substr(at + 12, n);
    EXPECT_EQ(le32(data, at + 12 + n), masked_crc32c(payload));
    out.push_back(payload);
    at += 12 + n + 4;
  }
  return out;
}

TEST(TensorBoard, Crc32cKnownValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value
  EXPECT_EQ(crc32c(""), 0u);
  const uint32_t c = crc32c("abc");
  EXPECT_EQ(masked_crc32c("abc"), ((c >> 15) | (c << 17)) + 0xA282EAD8u);
}

TEST(TensorBoard, ScalarsImagesAndResumeReadBackFieldByField) {
  test::TempDir dir;
  // A 3 x 2 PNG written by hand would need zlib: use a real one when the build has image I/O.
  std::string png;
  if (has_image_support()) png = encode_image(at::zeros({3, 2, 3}, at::kByte), ".png");
  fs::path file;
  {
    TensorBoardWriter w(dir / "tb", /*resume_step=*/40);
    w.add_scalar("train/loss", 0.25, 41);
    w.add_scalar("eval/heldout/fg_ari", -0.5, 50);
    if (!png.empty()) w.add_png("samples", png, 50);
    file = w.path();
  }
  EXPECT_EQ(file.parent_path(), dir / "tb");
  EXPECT_EQ(file.filename().string().rfind("events.out.tfevents.", 0), 0u);
  const auto recs = records(file);
  ASSERT_EQ(recs.size(), png.empty() ? 4u : 5u);
  // 1: the file version.
  const auto first = parse(recs[0]);
  ASSERT_NE(find(first, 3), nullptr);
  EXPECT_EQ(find(first, 3)->bytes, "brain.Event:2");
  ASSERT_NE(find(first, 1), nullptr);
  EXPECT_EQ(find(first, 1)->wire, 1);  // wall_time: double
  // 2: SessionLog START at the resume step.
  const auto start = parse(recs[1]);
  EXPECT_EQ(find(start, 2)->integer, 40u);
  EXPECT_EQ(find(parse(find(start, 6)->bytes), 1)->integer, 1u);
  // 3, 4: scalars.
  struct Want {
    std::string tag;
    float value;
    uint64_t step;
  };
  const std::vector<Want> want = {{"train/loss", 0.25f, 41}, {"eval/heldout/fg_ari", -0.5f, 50}};
  for (size_t i = 0; i < want.size(); ++i) {
    const auto event = parse(recs[2 + i]);
    EXPECT_EQ(find(event, 2)->integer, want[i].step);
    const auto value = parse(find(parse(find(event, 5)->bytes), 1)->bytes);
    EXPECT_EQ(find(value, 1)->bytes, want[i].tag);
    ASSERT_EQ(find(value, 2)->wire, 5);
    float v;
    std::memcpy(&v, &find(value, 2)->integer, 4);
    EXPECT_EQ(v, want[i].value);
  }
  if (png.empty()) return;
  // 5: the image with its size and bytes.
  const auto value = parse(find(parse(find(parse(recs[4]), 5)->bytes), 1)->bytes);
  EXPECT_EQ(find(value, 1)->bytes, "samples");
  const auto image = parse(find(value, 4)->bytes);
  EXPECT_EQ(find(image, 1)->integer, 2u);  // height
  EXPECT_EQ(find(image, 2)->integer, 3u);  // width
  EXPECT_EQ(find(image, 3)->integer, 3u);  // RGB
  EXPECT_EQ(find(image, 4)->bytes, png);
  EXPECT_EQ(png_size(png), (std::pair<int64_t, int64_t>(3, 2)));
  EXPECT_THROW(png_size("not a png"), std::exception);
}

TEST(TensorBoard, TwoWritersNeverShareAFile) {
  test::TempDir dir;
  TensorBoardWriter a(dir.path()), b(dir.path());
  EXPECT_NE(a.path(), b.path());
}

}  // namespace
}  // namespace setok::io
