#include "setok/io/png.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

#if SETOK_WITH_ZLIB
#include <zlib.h>
#endif

namespace setok::io {

namespace {

constexpr std::array<uint8_t, 8> kPngSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

#if SETOK_WITH_ZLIB
// Larger pictures than this many decoded bytes are refused before allocating (a corrupt header
// must not ask for terabytes).
constexpr uint64_t kPngMaxDecodedBytes = uint64_t{1} << 32;

uint32_t png_read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void png_append_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

// PNG's predictor: whichever of left, up and up-left is closest to left + up - up-left.
uint8_t png_paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  if (pb <= pc) return static_cast<uint8_t>(b);
  return static_cast<uint8_t>(c);
}

// The prediction filter `type` would subtract from byte i of a row (`prev` the row above, zeros
// for the first; `bpp` bytes per whole pixel, at least 1).
uint8_t png_predict(int type, const uint8_t* row, const uint8_t* prev, size_t i, size_t bpp) {
  const int a = i >= bpp ? row[i - bpp] : 0;
  const int b = prev[i];
  const int c = i >= bpp ? prev[i - bpp] : 0;
  switch (type) {
    case 1:
      return static_cast<uint8_t>(a);
    case 2:
      return static_cast<uint8_t>(b);
    case 3:
      return static_cast<uint8_t>((a + b) / 2);
    case 4:
      return png_paeth(a, b, c);
    default:
      return 0;
  }
}

struct PngHeader {
  uint32_t width = 0, height = 0;
  int depth = 0, colour_type = 0, channels = 0;
  size_t row_bytes = 0;    // filtered bytes per row, without the filter byte
  size_t pixel_bytes = 0;  // the filters' "bpp": bytes per whole pixel, at least 1
};

PngHeader parse_png_header(const uint8_t* d, uint32_t length, const std::string& label) {
  if (length != 13)
    throw Error(label + ": corrupt PNG (IHDR of " + std::to_string(length) + " bytes)");
  PngHeader h;
  h.width = png_read_be32(d);
  h.height = png_read_be32(d + 4);
  h.depth = d[8];
  h.colour_type = d[9];
  if (h.width == 0 || h.height == 0) throw Error(label + ": PNG has no pixels");
  if (d[10] != 0 || d[11] != 0)
    throw Error(label + ": corrupt PNG (unknown compression or filter method)");
  if (d[12] != 0)
    throw Error(label +
                ": interlaced (Adam7) PNG is not supported by this build's PNG codec "
                "(built without OpenCV); re-save it without interlacing");
  // Samples per pixel by colour type (grey, -, RGB, palette, grey + alpha, -, RGBA); 0: invalid.
  constexpr std::array<int, 7> kChannels = {1, 0, 3, 1, 2, 0, 4};
  if (h.colour_type > 6 || kChannels[static_cast<size_t>(h.colour_type)] == 0)
    throw Error(label + ": corrupt PNG (colour type " + std::to_string(h.colour_type) + ")");
  h.channels = kChannels[static_cast<size_t>(h.colour_type)];
  const bool low_ok = h.colour_type == 0 || h.colour_type == 3;
  const bool depth_ok = h.depth == 8 || (h.depth == 16 && h.colour_type != 3) ||
                        (low_ok && (h.depth == 1 || h.depth == 2 || h.depth == 4));
  if (!depth_ok)
    throw Error(label + ": corrupt PNG (bit depth " + std::to_string(h.depth) +
                " with colour type " + std::to_string(h.colour_type) + ")");
  const uint64_t bits = uint64_t{h.width} * static_cast<uint64_t>(h.channels * h.depth);
  const uint64_t decoded = (bits + 7) / 8 * h.height;
  if (decoded > kPngMaxDecodedBytes)
    throw Error(label + ": PNG of " + std::to_string(h.width) + " x " + std::to_string(h.height) +
                " is too large");
  h.row_bytes = static_cast<size_t>((bits + 7) / 8);
  h.pixel_bytes = std::max<size_t>(1, static_cast<size_t>(h.channels * h.depth / 8));
  return h;
}

// Sample `x` of a row of `depth`-bit samples, as an 8-bit value (low depths keep their raw index;
// the caller scales grey and looks up palette entries).
uint32_t png_sample(const uint8_t* row, size_t x, int depth) {
  if (depth == 8) return row[x];
  if (depth == 16) return (uint32_t{row[2 * x]} << 8) | row[2 * x + 1];
  const size_t bit = x * static_cast<size_t>(depth);
  const int shift = 8 - depth - static_cast<int>(bit % 8);
  return (row[bit / 8] >> shift) & ((1u << depth) - 1);
}

uint8_t png_to_8bit(uint32_t v, int depth) {
  if (depth == 16) return static_cast<uint8_t>(std::lround(v / 257.0));
  if (depth < 8) return static_cast<uint8_t>(v * 255 / ((1u << depth) - 1));
  return static_cast<uint8_t>(v);
}

std::vector<uint8_t> png_inflate(const std::string& compressed, size_t expected,
                                 const std::string& label) {
  std::vector<uint8_t> out(expected);
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw Error(label + ": zlib inflateInit failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(expected);
  const int rc = inflate(&z, Z_FINISH);
  const size_t produced = expected - z.avail_out;
  inflateEnd(&z);
  // Z_BUF_ERROR / Z_OK with a full buffer: more data than the picture needs (ignored, as libpng).
  if ((rc != Z_STREAM_END && rc != Z_BUF_ERROR && rc != Z_OK) || produced != expected)
    throw Error(label + ": corrupt PNG (image data " +
                (rc == Z_DATA_ERROR ? std::string("does not inflate")
                                    : "holds " + std::to_string(produced) + " of " +
                                          std::to_string(expected) + " bytes") +
                ")");
  return out;
}

uint32_t png_chunk_crc(const uint8_t* type_and_data, size_t n) {
  return static_cast<uint32_t>(crc32(0L, type_and_data, static_cast<uInt>(n)));
}

void png_append_chunk(std::string& out, const char* type, const std::string& data) {
  png_append_be32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  png_append_be32(out, png_chunk_crc(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

#endif

}  // namespace

bool is_png(const std::string& bytes) {
  return bytes.size() >= kPngSignature.size() &&
         std::memcmp(bytes.data(), kPngSignature.data(), kPngSignature.size()) == 0;
}

#if SETOK_WITH_ZLIB

bool png_codec_available() {
  return true;
}

at::Tensor decode_png(const std::string& bytes, const std::string& label) {
  if (!is_png(bytes)) throw Error(label + ": not a PNG file");
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t at = kPngSignature.size();
  PngHeader h;
  bool have_header = false, ended = false;
  std::vector<std::array<uint8_t, 3>> palette;
  std::string idat;
  while (!ended) {
    if (bytes.size() - at < 12) throw Error(label + ": corrupt PNG (truncated before IEND)");
    const uint32_t length = png_read_be32(p + at);
    if (length > bytes.size() - at - 12) throw Error(label + ": corrupt PNG (truncated chunk)");
    const std::string type(reinterpret_cast<const char*>(p + at + 4), 4);
    const uint8_t* data = p + at + 8;
    if (png_chunk_crc(p + at + 4, size_t{length} + 4) != png_read_be32(data + length))
      throw Error(label + ": corrupt PNG (CRC mismatch in chunk " + type + ")");
    if (!have_header && type != "IHDR") throw Error(label + ": corrupt PNG (IHDR is not first)");
    if (type == "IHDR") {
      h = parse_png_header(data, length, label);
      have_header = true;
    } else if (type == "PLTE") {
      if (length % 3 != 0 || length == 0 || length > 768)
        throw Error(label + ": corrupt PNG (palette of " + std::to_string(length) + " bytes)");
      for (uint32_t i = 0; i < length; i += 3)
        palette.push_back({data[i], data[i + 1], data[i + 2]});
    } else if (type == "IDAT") {
      idat.append(reinterpret_cast<const char*>(data), length);
    } else if (type == "IEND") {
      ended = true;
    }
    at += size_t{length} + 12;
  }
  if (h.colour_type == 3 && palette.empty())
    throw Error(label + ": corrupt PNG (palette image without PLTE)");
  const size_t stride = h.row_bytes + 1;
  std::vector<uint8_t> raw = png_inflate(idat, stride * h.height, label);

  at::Tensor out = at::empty({3, h.height, h.width}, at::kByte);  // [3, H, W]
  uint8_t* rgb = out.data_ptr<uint8_t>();
  const size_t plane = size_t{h.width} * h.height;
  std::vector<uint8_t> zeros(h.row_bytes, 0);
  const uint8_t* prev = zeros.data();
  for (uint32_t y = 0; y < h.height; ++y) {
    uint8_t* row = raw.data() + y * stride + 1;
    const int filter = row[-1];
    if (filter > 4)
      throw Error(label + ": corrupt PNG (filter type " + std::to_string(filter) + " in row " +
                  std::to_string(y) + ")");
    for (size_t i = 0; i < h.row_bytes; ++i)
      row[i] = static_cast<uint8_t>(row[i] + png_predict(filter, row, prev, i, h.pixel_bytes));
    prev = row;
    for (uint32_t x = 0; x < h.width; ++x) {
      std::array<uint8_t, 3> c{};
      if (h.colour_type == 3) {
        const uint32_t index = png_sample(row, x, h.depth);
        if (index >= palette.size())
          throw Error(label + ": corrupt PNG (palette index " + std::to_string(index) + " of " +
                      std::to_string(palette.size()) + ")");
        c = palette[index];
      } else if (h.channels <= 2) {  // grey, grey + alpha
        const uint8_t v = png_to_8bit(png_sample(row, size_t{x} * h.channels, h.depth), h.depth);
        c = {v, v, v};
      } else {  // RGB, RGBA
        for (int ch = 0; ch < 3; ++ch)
          c[static_cast<size_t>(ch)] =
              png_to_8bit(png_sample(row, size_t{x} * h.channels + ch, h.depth), h.depth);
      }
      for (size_t ch = 0; ch < 3; ++ch) rgb[ch * plane + size_t{y} * h.width + x] = c[ch];
    }
  }
  return out;
}

std::string encode_png(const at::Tensor& image, const std::string& label) {
  if (!image.defined() || image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3) ||
      image.scalar_type() != at::kByte)
    throw Error(label + ": encode_png expects uint8 [3, H, W] or [1, H, W]");
  const at::Tensor hwc = image.to(at::kCPU).permute({1, 2, 0}).contiguous();  // [H, W, C]
  const auto height = static_cast<size_t>(hwc.size(0)), width = static_cast<size_t>(hwc.size(1));
  const auto channels = static_cast<size_t>(hwc.size(2));
  if (height == 0 || width == 0) throw Error(label + ": image has no pixels");
  const size_t row_bytes = width * channels;
  const uint8_t* px = hwc.data_ptr<uint8_t>();

  // Each row under the filter with the smallest sum of absolute (signed) residuals: libpng's
  // heuristic, which keeps flat pictures and gradients small.
  std::string filtered;
  filtered.reserve(height * (row_bytes + 1));
  std::vector<uint8_t> zeros(row_bytes, 0), best(row_bytes), trial(row_bytes);
  for (size_t y = 0; y < height; ++y) {
    const uint8_t* row = px + y * row_bytes;
    const uint8_t* prev = y > 0 ? row - row_bytes : zeros.data();
    uint64_t best_cost = UINT64_MAX;
    int best_type = 0;
    for (int type = 0; type <= 4; ++type) {
      uint64_t cost = 0;
      for (size_t i = 0; i < row_bytes; ++i) {
        trial[i] = static_cast<uint8_t>(row[i] - png_predict(type, row, prev, i, channels));
        cost += static_cast<uint64_t>(std::abs(static_cast<int8_t>(trial[i])));
      }
      if (cost < best_cost) {
        best_cost = cost;
        best_type = type;
        best.swap(trial);
      }
    }
    filtered.push_back(static_cast<char>(best_type));
    filtered.append(reinterpret_cast<const char*>(best.data()), row_bytes);
  }

  uLongf compressed_size = compressBound(static_cast<uLong>(filtered.size()));
  std::string compressed(compressed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                reinterpret_cast<const Bytef*>(filtered.data()),
                static_cast<uLong>(filtered.size()), 6) != Z_OK)
    throw Error(label + ": zlib could not compress the image");
  compressed.resize(compressed_size);

  std::string header;
  png_append_be32(header, static_cast<uint32_t>(width));
  png_append_be32(header, static_cast<uint32_t>(height));
  header += std::string{static_cast<char>(8), static_cast<char>(channels == 3 ? 2 : 0), 0, 0, 0};
  std::string out(reinterpret_cast<const char*>(kPngSignature.data()), kPngSignature.size());
  png_append_chunk(out, "IHDR", header);
  png_append_chunk(out, "IDAT", compressed);
  png_append_chunk(out, "IEND", "");
  return out;
}

#else  // no zlib

bool png_codec_available() {
  return false;
}

at::Tensor decode_png(const std::string&, const std::string& label) {
  throw Error(label + ": this build has neither OpenCV nor zlib, so it cannot read PNG files");
}

std::string encode_png(const at::Tensor&, const std::string& label) {
  throw Error(label + ": this build has neither OpenCV nor zlib, so it cannot write PNG files");
}

#endif

}  // namespace setok::io
