#pragma once
// File-system helpers with the error messages and durability guarantees the rest of the
// library relies on. Torch-free (also used by the sanitizer test target).
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace setok::io {

namespace fs = std::filesystem;

// Whole file as bytes. Error names the path (missing, a directory, unreadable).
std::string read_file(const fs::path& path);

// fsync a file or a directory (directories: so that a rename inside it is durable).
void fsync_path(const fs::path& path);

// Writes `content` to `path` so that readers see either the old file or the complete new one:
// write a temporary file next to it, fsync, rename over, fsync the directory.
void write_file_atomic(const fs::path& path, std::string_view content);

// Streaming variant of write_file_atomic for large outputs. Nothing appears at `path` until
// commit(); destroying an uncommitted writer removes the temporary file.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(fs::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  void commit();

 private:
  fs::path path_;
  fs::path tmp_;
  std::FILE* file_ = nullptr;
};

// A name for a temporary sibling of `path` that is unique to this process and call.
fs::path temporary_sibling(const fs::path& path);

}  // namespace setok::io
