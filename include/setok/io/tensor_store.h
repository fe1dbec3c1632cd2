#pragma once
// One view over "a set of named tensors on disk", whatever the layout: a single .safetensors
// file, a sharded checkpoint (`*.safetensors.index.json` + shards), or a folder holding either.
// Model loaders and `setok_infer inspect` read through this.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/io/safetensors.h"

namespace setok::io {

class TensorStore {
 public:
  // `path` may be:
  //  - a .safetensors file;
  //  - a *.safetensors.index.json file (every shard it names is opened and validated; the
  //    index must agree with the shards: each listed tensor is in its shard, no shard holds an
  //    unlisted tensor, no tensor is in two shards);
  //  - a folder with model.safetensors.index.json, model.safetensors, or exactly one
  //    *.safetensors.index.json / *.safetensors file.
  // Errors name the path and what is wrong.
  static TensorStore open(const std::filesystem::path& path);

  // Opens several files as one store (e.g. a checkpoint folder with model and optimizer
  // files). A tensor name found in two files is an error.
  static TensorStore open_files(const std::vector<std::filesystem::path>& files,
                                const std::filesystem::path& label);

  const std::filesystem::path& path() const { return path_; }
  bool sharded() const { return !index_file_.empty(); }
  const std::filesystem::path& index_file() const { return index_file_; }
  const std::vector<std::shared_ptr<const SafetensorsFile>>& files() const { return files_; }

  std::vector<std::string> names() const;  // sorted
  size_t size() const { return where_.size(); }
  bool contains(std::string_view name) const;
  const st::TensorEntry& entry(std::string_view name) const;
  const SafetensorsFile& file_of(std::string_view name) const;
  at::Tensor get(std::string_view name) const;
  at::Tensor get(std::string_view name, c10::ScalarType dtype) const;
  // Metadata merged over the files (the first file wins on conflicts).
  std::map<std::string, std::string> metadata() const;

 private:
  static TensorStore from_index(const std::filesystem::path& index);

  std::filesystem::path path_;
  std::filesystem::path index_file_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, size_t, std::less<>> where_;  // tensor -> index into files_
};

// The safetensors files of a folder that make up a model: the index's shards when there is an
// index, else the single file. Used to decide what `path` refers to (see TensorStore::open).
std::filesystem::path resolve_model_path(const std::filesystem::path& folder);

}  // namespace setok::io
