#include "setok/io/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "setok/runtime/error.h"

namespace setok::io {

namespace fs = std::filesystem;

namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// Protocol-buffer wire encoding of the fields we write.
void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void key(std::string& out, int field, int wire) {
  varint(out, static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire));
}
template <class T>
void fixed(std::string& out, int field, T value) {  // double (wire 1) or float (wire 5)
  key(out, field, sizeof(T) == 8 ? 1 : 5);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts, as protobuf's wire format
  out.append(bytes, sizeof(T));
}
void bytes_field(std::string& out, int field, std::string_view value) {
  key(out, field, 2);
  varint(out, value.size());
  out.append(value.data(), value.size());
}
void int_field(std::string& out, int field, int64_t value) {
  key(out, field, 0);
  varint(out, static_cast<uint64_t>(value));
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string event_header(int64_t step) {
  std::string e;
  fixed<double>(e, 1, now_seconds());
  int_field(e, 2, step);
  return e;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

}  // namespace

uint32_t crc32c(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = crc_table()[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(std::string_view bytes) {
  const uint32_t c = crc32c(bytes);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

std::pair<int64_t, int64_t> png_size(std::string_view png) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (png.size() < 24 || png.compare(0, 8, std::string_view(kSignature, 8)) != 0 ||
      png.compare(12, 4, "IHDR") != 0) {
    throw Error("not a PNG image");
  }
  auto be32 = [&](size_t at) {
    return (static_cast<int64_t>(static_cast<unsigned char>(png[at])) << 24) |
           (static_cast<int64_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
           (static_cast<int64_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
           static_cast<int64_t>(static_cast<unsigned char>(png[at + 3]));
  };
  return {be32(16), be32(20)};
}

TensorBoardWriter::TensorBoardWriter(const fs::path& folder, int64_t resume_step) {
  fs::create_directories(folder);
  const auto seconds = static_cast<int64_t>(now_seconds());
  path_ = folder / ("events.out.tfevents." + std::to_string(seconds) + "." + host_name());
  // Two writers started within the same second (a quick resume) must not share a file.
  for (int n = 1; fs::exists(path_); ++n) {
    path_ = folder / ("events.out.tfevents." + std::to_string(seconds) + "." + host_name() + "." +
                      std::to_string(n));
  }
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(path_.string() + ": cannot create the TensorBoard event file");
  std::string first = event_header(0);
  bytes_field(first, 3, "brain.Event:2");
  write_event(first);
  if (resume_step >= 0) {
    std::string log;
    int_field(log, 1, 1);  // SessionLog.status = START
    std::string e = event_header(resume_step);
    bytes_field(e, 6, log);
    write_event(e);
  }
}

void TensorBoardWriter::write_event(const std::string& event) {
  std::string length(8, '\0');
  const uint64_t n = event.size();
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  auto crc_bytes = [](uint32_t c) {
    std::string b(4, '\0');
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((c >> (8 * i)) & 0xFF);
    return b;
  };
  out_ << length << crc_bytes(masked_crc32c(length)) << event << crc_bytes(masked_crc32c(event));
  out_.flush();  // a crashed run keeps every event written
  if (!out_) throw Error(path_.string() + ": write failed");
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  std::string v;
  bytes_field(v, 1, tag);
  fixed<float>(v, 2, static_cast<float>(value));
  std::string summary;
  bytes_field(summary, 1, v);
  std::string e = event_header(step);
  bytes_field(e, 5, summary);
  write_event(e);
}

void TensorBoardWriter::add_png(const std::string& tag, const std::string& png, int64_t step) {
  const auto [width, height] = png_size(png);
  std::string image;
  int_field(image, 1, height);
  int_field(image, 2, width);
  int_field(image, 3, 3);  // RGB
  bytes_field(image, 4, png);
  std::string v;
  bytes_field(v, 1, tag);
  bytes_field(v, 4, image);
  std::string summary;
  bytes_field(summary, 1, v);
  std::string e = event_header(step);
  bytes_field(e, 5, summary);
  write_event(e);
}

}  // namespace setok::io
