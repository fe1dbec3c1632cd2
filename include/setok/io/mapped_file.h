#pragma once
// Read-only view of a whole file through mmap (copy-on-write private mapping, so tensors that
// alias it may be modified in place without touching the file). Torch-free.
#include <cstdint>
#include <filesystem>
#include <memory>

namespace setok::io {

class MappedFile {
 public:
  // Throws setok::Error naming the path when it is missing, a directory or cannot be mapped.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint8_t* mutable_data() { return data_; }
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  MappedFile() = default;
  std::filesystem::path path_;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace setok::io
