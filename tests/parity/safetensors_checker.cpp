// The checker every fixture folder gets: each .safetensors file opens through our reader and
// agrees with an independent reading of the same bytes (header parsed here with plain JSON,
// data compared byte for byte); each *.safetensors.index.json agrees with its shards.
#include <algorithm>
#include <cstring>
#include <fstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "setok/io/fs.h"
#include "setok/io/safetensors.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/strings.h"

namespace setok::parity {

using runtime::ends_with;

namespace {

size_t check_file(const fs::path& path) {
  const std::string bytes = io::read_file(path);
  const auto file = io::SafetensorsFile::open(path);  // our reader and its validation
  if (bytes.size() < 8) throw Failure(path.filename().string() + ": too short");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);  // fixtures are little-endian, as is every host we build on
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  size_t count = 0;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    ++count;
    const std::string where = path.filename().string() + ": " + name;
    if (!file->contains(name)) throw Failure(where + ": missing from the reader");
    const auto& entry = file->entry(name);
    if (info["dtype"].get<std::string>() != io::st::dtype_name(entry.dtype)) {
      throw Failure(where + ": dtype differs from the header");
    }
    if (info["shape"].get<std::vector<int64_t>>() != entry.shape) {
      throw Failure(where + ": shape differs from the header");
    }
    const auto begin = info["data_offsets"][0].get<uint64_t>();
    const auto end = info["data_offsets"][1].get<uint64_t>();
    const at::Tensor t = file->tensor(name).contiguous();
    if (static_cast<uint64_t>(t.numel()) * t.element_size() != end - begin ||
        std::memcmp(t.data_ptr(), bytes.data() + 8 + n + begin, end - begin) != 0) {
      throw Failure(where + ": tensor bytes differ from the file");
    }
  }
  if (count != file->header().tensors.size()) {
    throw Failure(path.filename().string() + ": reader sees a different number of tensors");
  }
  return count;
}

}  // namespace

std::string check_safetensors_files(const fs::path& folder) {
  size_t files = 0, tensors = 0, indexes = 0;
  std::vector<fs::path> paths;
  for (const auto& item : fs::directory_iterator(folder)) paths.push_back(item.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    const std::string name = p.filename().string();
    if (ends_with(name, ".safetensors")) {
      tensors += check_file(p);
      ++files;
    } else if (ends_with(name, ".safetensors.index.json")) {
      const auto store = io::TensorStore::open(p);
      const auto index = nlohmann::json::parse(io::read_file(p));
      if (index["weight_map"].size() != store.size()) {
        throw Failure(name + ": weight_map and shards disagree");
      }
      ++indexes;
    }
  }
  if (files == 0) throw Failure("no .safetensors files");
  std::string detail = std::to_string(files) + " files, " + std::to_string(tensors) + " tensors";
  if (indexes > 0) detail += ", " + std::to_string(indexes) + " index";
  return detail;
}

}  // namespace setok::parity
