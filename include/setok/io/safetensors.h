#pragma once
// safetensors files as torch tensors: a memory-mapped reader (zero-copy views) and an atomic
// writer, single-file or sharded (HF's `<prefix>.safetensors.index.json` layout).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/io/safetensors_format.h"

namespace setok::io {

class MappedFile;

c10::ScalarType to_torch_dtype(st::DType dtype);
// Throws setok::Error for torch dtypes safetensors (as supported here) cannot store.
st::DType to_safetensors_dtype(c10::ScalarType dtype);

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

class SafetensorsFile {
 public:
  // Maps and validates the whole file (see st::parse_header). Errors name the file.
  static std::shared_ptr<const SafetensorsFile> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const;
  const st::Header& header() const { return header_; }
  std::vector<std::string> names() const;  // sorted
  bool contains(std::string_view name) const { return header_.find(name) != nullptr; }
  // Throws setok::Error naming the file when the tensor is absent.
  const st::TensorEntry& entry(std::string_view name) const;

  // CPU tensor aliasing the mapping (kept alive by the tensor) when the data is aligned for its
  // dtype, otherwise an aligned copy. Writes to it never reach the file (private mapping).
  at::Tensor tensor(std::string_view name) const;
  // The tensor converted to `dtype` (no copy when it already has that dtype).
  at::Tensor tensor(std::string_view name, c10::ScalarType dtype) const;
  // The raw bytes of one tensor inside the file.
  const uint8_t* data(const st::TensorEntry& entry) const;

 private:
  SafetensorsFile() = default;
  std::shared_ptr<MappedFile> file_;
  st::Header header_;
};

// Writes `tensors` (any device, any layout; copied to contiguous CPU memory on the way) to
// `path` atomically. Names must be unique. Errors name the file and the tensor.
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Splits `tensors` into files of at most `max_shard_bytes` (a single larger tensor gets a file
// of its own) named `<prefix>-0000k-of-0000n.safetensors` in `dir`, plus
// `<prefix>.safetensors.index.json` with "metadata.total_size" and "weight_map", as HF's
// save_pretrained writes them. With one shard, writes `<prefix>.safetensors` and no index.
// Returns the files written (index last).
std::vector<std::filesystem::path> save_safetensors_sharded(
    const std::filesystem::path& dir, const NamedTensors& tensors, uint64_t max_shard_bytes,
    const std::string& prefix = "model", const std::map<std::string, std::string>& metadata = {});

}  // namespace setok::io
