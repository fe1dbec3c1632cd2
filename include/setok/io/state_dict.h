#pragma once
// Loading and saving a torch::nn::Module's parameters and buffers by name, through safetensors.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "setok/io/name_map.h"
#include "setok/io/safetensors.h"

namespace torch::nn {
class Module;
}

namespace setok::io {

class TensorStore;

struct ShapeMismatch {
  std::string module_name;
  std::string checkpoint_name;
  std::vector<int64_t> module_shape;
  std::vector<int64_t> checkpoint_shape;
};

struct LoadReport {
  std::vector<std::string> loaded;      // module names that received a tensor
  std::vector<std::string> missing;     // module names no checkpoint tensor maps to
  std::vector<std::string> unexpected;  // checkpoint names that map to no module tensor
  std::vector<ShapeMismatch> mismatched;
  std::vector<std::string> ignored;  // checkpoint names dropped by NameMap::ignore

  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // Multi-line: counts, then every key of each non-empty list.
  std::string summary() const;
};

struct LoadOptions {
  bool strict = true;  // any missing / unexpected / mismatched key is an error; nothing is loaded
  NameMap name_map;    // checkpoint name -> module name
};

// Parameters then buffers, recursively, under their dotted module names.
NamedTensors module_state(const torch::nn::Module& module);

// Copies matching tensors into `module` (converting dtype, keeping the module's device).
// Strict: throws setok::Error naming the store and listing every problem key before touching
// the module. Non-strict: loads what matches and returns the report for the caller to log.
LoadReport load_state(torch::nn::Module& module, const TensorStore& store,
                      const LoadOptions& options = {});

// A fingerprint of the module's frozen parameters (those that need no gradient): 16 hex digits
// hashing their names (with `prefix`), dtypes, shapes and up to 4096 evenly spaced values each.
// Checkpoints record it for the base weights they were trained on, so a resume or a loader can
// tell that the base differs. Cheap even for a 7B base.
std::string frozen_fingerprint(const torch::nn::Module& module, const std::string& prefix = "");

// Loads the trainable parameters and buffers of a checkpoint that refers to its frozen base
// instead of holding it: like a strict load_state, except that the module's frozen parameters
// may be missing from the store (they keep the values they were built or loaded with). Problems
// are reported after the matching tensors were copied.
LoadReport load_trainable_state(torch::nn::Module& module, const TensorStore& store,
                                const LoadOptions& options = {});

// Writes module_state(module) to one safetensors file (atomically).
void save_state(const torch::nn::Module& module, const std::filesystem::path& path,
                const std::map<std::string, std::string>& metadata = {});

}  // namespace setok::io
