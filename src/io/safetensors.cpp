#include "setok/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "setok/io/fs.h"
#include "setok/io/mapped_file.h"
#include "setok/runtime/error.h"

namespace setok::io {

c10::ScalarType to_torch_dtype(st::DType dtype) {
  switch (dtype) {
    case st::DType::kBool:
      return c10::kBool;
    case st::DType::kU8:
      return c10::kByte;
    case st::DType::kI8:
      return c10::kChar;
    case st::DType::kI16:
      return c10::kShort;
    case st::DType::kI32:
      return c10::kInt;
    case st::DType::kI64:
      return c10::kLong;
    case st::DType::kF16:
      return c10::kHalf;
    case st::DType::kBF16:
      return c10::kBFloat16;
    case st::DType::kF32:
      return c10::kFloat;
    case st::DType::kF64:
      return c10::kDouble;
  }
  throw Error("internal: unknown safetensors dtype");
}

st::DType to_safetensors_dtype(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kBool:
      return st::DType::kBool;
    case c10::kByte:
      return st::DType::kU8;
    case c10::kChar:
      return st::DType::kI8;
    case c10::kShort:
      return st::DType::kI16;
    case c10::kInt:
      return st::DType::kI32;
    case c10::kLong:
      return st::DType::kI64;
    case c10::kHalf:
      return st::DType::kF16;
    case c10::kBFloat16:
      return st::DType::kBF16;
    case c10::kFloat:
      return st::DType::kF32;
    case c10::kDouble:
      return st::DType::kF64;
    default:
      throw Error(std::string("dtype ") + c10::toString(dtype) +
                  " cannot be stored in safetensors");
  }
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  auto file = MappedFile::open(path);
  std::shared_ptr<SafetensorsFile> out(new SafetensorsFile());
  out->header_ = st::parse_header(file->data(), file->size(), path.string());
  out->file_ = std::move(file);
  return out;
}

const std::filesystem::path& SafetensorsFile::path() const {
  return file_->path();
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(header_.tensors.size());
  for (const auto& e : header_.tensors) out.push_back(e.name);
  return out;
}

const st::TensorEntry& SafetensorsFile::entry(std::string_view name) const {
  const auto* e = header_.find(name);
  if (e == nullptr) {
    throw Error(path().string() + ": no tensor named '" + std::string(name) + "'");
  }
  return *e;
}

const uint8_t* SafetensorsFile::data(const st::TensorEntry& entry) const {
  return file_->data() + header_.data_offset + entry.begin;
}

at::Tensor SafetensorsFile::tensor(std::string_view name) const {
  const auto& e = entry(name);
  const auto dtype = to_torch_dtype(e.dtype);
  const auto options = at::TensorOptions().dtype(dtype).device(at::kCPU);
  auto* ptr = const_cast<uint8_t*>(data(e));
  const bool aligned = reinterpret_cast<uintptr_t>(ptr) % st::dtype_size(e.dtype) == 0;
  if (!aligned || e.nbytes() == 0) {
    at::Tensor out = at::empty(e.shape, options);
    if (e.nbytes() > 0) std::memcpy(out.data_ptr(), ptr, e.nbytes());
    return out;
  }
  // The deleter owns a reference to the mapping, so the view outlives this object safely.
  auto keep_alive = file_;
  return at::from_blob(
      ptr, e.shape, [keep_alive](void*) {}, options);
}

at::Tensor SafetensorsFile::tensor(std::string_view name, c10::ScalarType dtype) const {
  return tensor(name).to(dtype);
}

void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<st::TensorEntry> entries;
  std::vector<at::Tensor> contiguous;
  entries.reserve(tensors.size());
  contiguous.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw Error(path.string() + ": tensor '" + name + "' is undefined");
    st::TensorEntry e;
    e.name = name;
    try {
      e.dtype = to_safetensors_dtype(t.scalar_type());
    } catch (const Error& err) {
      throw Error(path.string() + ": tensor '" + name + "': " + err.what());
    }
    e.shape = t.sizes().vec();
    entries.push_back(std::move(e));
    contiguous.push_back(t.detach().to(at::kCPU).contiguous());
  }
  std::string prefix;
  try {
    prefix = st::build_header(entries, metadata);
  } catch (const Error& err) {
    throw Error(path.string() + ": " + err.what());
  }
  AtomicFileWriter writer(path);
  writer.write(prefix);
  for (size_t i = 0; i < entries.size(); ++i) {
    writer.write(contiguous[i].data_ptr(), entries[i].nbytes());
  }
  writer.commit();
}

std::vector<std::filesystem::path> save_safetensors_sharded(
    const std::filesystem::path& dir, const NamedTensors& tensors, uint64_t max_shard_bytes,
    const std::string& prefix, const std::map<std::string, std::string>& metadata) {
  std::set<std::string> seen;
  for (const auto& named : tensors) {
    if (!seen.insert(named.first).second) {
      throw Error(dir.string() + ": tensor name '" + named.first + "' appears twice");
    }
  }
  std::vector<NamedTensors> shards(1);
  uint64_t current = 0, total = 0;
  for (const auto& named : tensors) {
    const uint64_t bytes = named.second.numel() * named.second.element_size();
    if (!shards.back().empty() && current + bytes > max_shard_bytes) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(named);
    current += bytes;
    total += bytes;
  }
  std::vector<std::filesystem::path> written;
  if (shards.size() == 1) {
    written.push_back(dir / (prefix + ".safetensors"));
    save_safetensors(written.back(), tensors, metadata);
    return written;
  }
  nlohmann::json weight_map = nlohmann::json::object();
  const auto n = shards.size();
  for (size_t i = 0; i < n; ++i) {
    const auto name = fmt::format("{}-{:05d}-of-{:05d}.safetensors", prefix, i + 1, n);
    save_safetensors(dir / name, shards[i], metadata);
    for (const auto& named : shards[i]) weight_map[named.first] = name;
    written.push_back(dir / name);
  }
  nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  written.push_back(dir / (prefix + ".safetensors.index.json"));
  write_file_atomic(written.back(), index.dump(2) + "\n");
  return written;
}

}  // namespace setok::io
