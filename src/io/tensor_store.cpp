#include "setok/io/tensor_store.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "setok/runtime/strings.h"

namespace setok::io {

namespace fs = std::filesystem;
using runtime::ends_with;

fs::path resolve_model_path(const fs::path& folder) {
  if (fs::exists(folder / "model.safetensors.index.json")) {
    return folder / "model.safetensors.index.json";
  }
  if (fs::exists(folder / "model.safetensors")) return folder / "model.safetensors";
  std::vector<fs::path> indexes, files;
  for (const auto& item : fs::directory_iterator(folder)) {
    const auto name = item.path().filename().string();
    if (ends_with(name, ".safetensors.index.json")) indexes.push_back(item.path());
    if (ends_with(name, ".safetensors") && item.is_regular_file()) files.push_back(item.path());
  }
  if (indexes.size() == 1) return indexes[0];
  if (indexes.empty() && files.size() == 1) return files[0];
  if (indexes.empty() && files.empty()) {
    throw Error(folder.string() + ": no .safetensors file or index in this folder");
  }
  throw Error(folder.string() +
              ": several safetensors files/indexes and no model.safetensors(.index.json); "
              "name the file to use");
}

TensorStore TensorStore::open(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file or folder");
  if (fs::is_directory(path, ec)) {
    TensorStore store = open(resolve_model_path(path));
    store.path_ = path;
    return store;
  }
  if (ends_with(path.filename().string(), ".index.json")) return from_index(path);
  return open_files({path}, path);
}

TensorStore TensorStore::open_files(const std::vector<fs::path>& files, const fs::path& label) {
  TensorStore store;
  store.path_ = label;
  for (const auto& file : files) {
    auto opened = SafetensorsFile::open(file);
    const size_t idx = store.files_.size();
    for (const auto& e : opened->header().tensors) {
      auto [it, inserted] = store.where_.emplace(e.name, idx);
      if (!inserted) {
        throw Error(label.string() + ": tensor '" + e.name + "' is in both " +
                    store.files_[it->second]->path().filename().string() + " and " +
                    file.filename().string());
      }
    }
    store.files_.push_back(std::move(opened));
  }
  return store;
}

TensorStore TensorStore::from_index(const fs::path& index) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(read_file(index));
  } catch (const nlohmann::json::exception& e) {
    throw Error(index.string() + ": invalid JSON (" + e.what() + ")");
  }
  if (!root.is_object() || !root.contains("weight_map") || !root["weight_map"].is_object()) {
    throw Error(index.string() + ": expected an object with a \"weight_map\" object");
  }
  // Shard file -> the tensors the index says it holds.
  std::map<std::string, std::vector<std::string>> listed;
  for (const auto& [name, file] : root["weight_map"].items()) {
    if (!file.is_string()) {
      throw Error(index.string() + ": weight_map." + name + " must be a file name string");
    }
    const auto shard = file.get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..") {
      throw Error(index.string() + ": weight_map." + name + " names '" + shard +
                  "', which is not a file name in the index's folder");
    }
    listed[shard].push_back(name);
  }
  const fs::path folder = index.parent_path();
  std::vector<fs::path> files;
  for (const auto& entry : listed) files.push_back(folder / entry.first);
  TensorStore store = open_files(files, index);
  store.path_ = index;
  store.index_file_ = index;
  // First every listed tensor must be where the index says, then no shard may hold more.
  for (const auto& file : store.files_) {
    for (const auto& name : listed[file->path().filename().string()]) {
      if (!file->contains(name)) {
        throw Error(index.string() + ": lists tensor '" + name + "' in " +
                    file->path().filename().string() + ", which does not contain it");
      }
    }
  }
  for (const auto& file : store.files_) {
    const auto& expected = listed[file->path().filename().string()];
    if (expected.size() == file->header().tensors.size()) continue;
    for (const auto& e : file->header().tensors) {
      if (std::find(expected.begin(), expected.end(), e.name) == expected.end()) {
        throw Error(index.string() + ": shard " + file->path().filename().string() +
                    " holds tensor '" + e.name + "', which the weight_map does not list");
      }
    }
  }
  return store;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& kv : where_) out.push_back(kv.first);
  return out;
}

bool TensorStore::contains(std::string_view name) const {
  return where_.find(name) != where_.end();
}

const SafetensorsFile& TensorStore::file_of(std::string_view name) const {
  auto it = where_.find(name);
  if (it == where_.end()) {
    throw Error(path_.string() + ": no tensor named '" + std::string(name) + "'");
  }
  return *files_[it->second];
}

const st::TensorEntry& TensorStore::entry(std::string_view name) const {
  return file_of(name).entry(name);
}

at::Tensor TensorStore::get(std::string_view name) const {
  return file_of(name).tensor(name);
}

at::Tensor TensorStore::get(std::string_view name, c10::ScalarType dtype) const {
  return file_of(name).tensor(name, dtype);
}

std::map<std::string, std::string> TensorStore::metadata() const {
  std::map<std::string, std::string> out;
  for (const auto& f : files_) {
    for (const auto& kv : f->header().metadata) out.emplace(kv.first, kv.second);
  }
  return out;
}

}  // namespace setok::io
