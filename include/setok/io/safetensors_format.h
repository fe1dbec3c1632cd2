#pragma once
// The safetensors container format, without torch: dtype table, header parsing with full
// validation, and header serialisation. The torch-facing reader/writer (safetensors.h) sits on
// top; keeping this layer torch-free lets the sanitizer test target fuzz it cheaply.
//
// Layout: u64 little-endian N | N bytes of JSON header | data. The header maps tensor names to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data start) plus an
// optional "__metadata__" string->string map.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace setok::io::st {

enum class DType : uint8_t { kBool, kU8, kI8, kI16, kI32, kI64, kF16, kBF16, kF32, kF64 };

const char* dtype_name(DType dtype);                      // "F32", "BF16", ...
std::optional<DType> parse_dtype(std::string_view name);  // nullopt for unknown names
size_t dtype_size(DType dtype);                           // bytes per element

struct TensorEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets relative to the start of the data section
  uint64_t end = 0;

  uint64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

struct Header {
  uint64_t header_size = 0;          // N
  uint64_t data_offset = 0;          // 8 + N: where tensor data starts in the file
  std::vector<TensorEntry> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;

  const TensorEntry* find(std::string_view name) const;  // nullptr when absent
};

// Largest header accepted (the reference implementation's limit).
constexpr uint64_t kMaxHeaderSize = 100ull << 20;

// Parses and validates the first bytes of a file of `file_size` bytes (`bytes` must cover the
// whole file). Checks: file long enough for the length prefix; N within the file and the limit;
// the header is a JSON object; every entry has exactly dtype/shape/data_offsets of the right
// types; known dtype; non-negative shape without overflow; offsets in range; byte length ==
// numel x dtype size; tensors non-overlapping and covering the data section exactly.
// Throws setok::Error("<label>: ...") naming the tensor when one is at fault.
Header parse_header(const uint8_t* bytes, uint64_t file_size, const std::string& label);

// Assigns contiguous offsets to `entries` (in the given order, from each entry's shape and
// dtype) and returns the complete prefix: u64 length + JSON header padded with spaces to a
// multiple of 8 bytes, so tensor data that follows is 8-byte aligned.
std::string build_header(std::vector<TensorEntry>& entries,
                         const std::map<std::string, std::string>& metadata);

}  // namespace setok::io::st
