#pragma once
// Hand-built safetensors byte strings for tests, torch-free (shared by the sanitizer target):
// a valid file from raw header JSON + data, and a catalogue of corrupted variants, each with
// the phrase its error message must contain.
#include <filesystem>
#include <string>
#include <vector>

namespace setok::test {

// u64 little-endian length + header text + data.
std::string safetensors_bytes(const std::string& header_json, const std::string& data);

// A small valid file: tensors "a" (F32 [2, 3]) and "b" (I64 [2]).
std::string valid_safetensors();

struct CorruptCase {
  std::string name;      // short id, e.g. "truncated_header"
  std::string bytes;     // file content
  std::string expected;  // substring the error message must contain
};

// At least: empty, truncated length prefix, header length past EOF, invalid JSON, header not an
// object, offsets past the data, overlapping offsets, gap between tensors, trailing bytes,
// bytes != shape x dtype size, unknown dtype, negative shape, missing field, unknown field,
// bad metadata, deep nesting, shape overflow.
std::vector<CorruptCase> corrupt_safetensors_cases();

void write_bytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace setok::test
