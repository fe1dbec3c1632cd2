#pragma once
// TensorBoard event files, written directly: the TFRecord framing (length, masked CRC-32C of
// the length, payload, masked CRC-32C of the payload) around `Event` protocol buffers, of which
// we encode only the few fields we need — no protobuf dependency:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3;
//             Summary summary = 5; SessionLog session_log = 6; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; Image image = 4; }
//   Image   { int32 height = 1; int32 width = 2; int32 colorspace = 3;
//             bytes encoded_image_string = 4; }
//   SessionLog { SessionStatus status = 1; }   (START = 1)
// A run writes RUN/tensorboard/events.out.tfevents.<unix time>.<host>, one file per process
// start; a resumed run first writes a SessionLog START at its step, which tells TensorBoard to
// drop the events of the interrupted run past that step.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace setok::io {

// CRC-32C (Castagnoli), as TFRecord uses it, and TFRecord's masking of it.
uint32_t crc32c(std::string_view bytes);
uint32_t masked_crc32c(std::string_view bytes);

class TensorBoardWriter {
 public:
  // Creates `folder` and a new event file in it. `resume_step` >= 0 writes a SessionLog START
  // at that step.
  explicit TensorBoardWriter(const std::filesystem::path& folder, int64_t resume_step = -1);

  void add_scalar(const std::string& tag, double value, int64_t step);
  // An already encoded PNG (TensorBoard shows PNG and JPEG) of width x height, RGB.
  void add_png(const std::string& tag, const std::string& png, int64_t step);
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  std::filesystem::path path_;
  std::ofstream out_;
};

// Width and height of a PNG from its IHDR chunk; throws for anything else.
std::pair<int64_t, int64_t> png_size(std::string_view png);

}  // namespace setok::io
