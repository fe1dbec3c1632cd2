#pragma once
// `setok_infer inspect`: what is inside a safetensors file, a sharded checkpoint, an HF model
// folder or one of our checkpoint folders (step_N/, a checkpoints/ root or a run folder).
#include <filesystem>
#include <string>
#include <vector>

#include "setok/io/json.h"
#include "setok/io/tensor_store.h"

namespace setok::infer {

struct InspectGroup {
  std::string label;  // file name, or the index name for a sharded set
  io::TensorStore store;
  uint64_t num_parameters = 0;  // elements over all tensors of the group
  uint64_t num_bytes = 0;
};

struct InspectResult {
  std::filesystem::path path;      // as given
  std::filesystem::path resolved;  // the file or folder actually read
  std::vector<InspectGroup> groups;
};

// Opens and validates everything under `path`. Errors name the path / file / tensor.
InspectResult inspect(const std::filesystem::path& path);

// Human-readable table: one line per tensor (name, dtype, shape, elements), then totals.
std::string format_inspect(const InspectResult& result);

// {"path", "resolved", "groups": [{"label", "sharded", "files", "metadata", "num_tensors",
//  "num_parameters", "num_bytes", "tensors": [{"name","dtype","shape","numel","file"}]}],
//  "num_tensors", "num_parameters"}
io::Json inspect_json(const InspectResult& result);

}  // namespace setok::infer
