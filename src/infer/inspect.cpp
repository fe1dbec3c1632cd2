#include "setok/infer/inspect.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "setok/io/checkpoint.h"
#include "setok/runtime/error.h"
#include "setok/runtime/strings.h"

namespace setok::infer {

namespace fs = std::filesystem;
using runtime::ends_with;

namespace {

InspectGroup make_group(std::string label, io::TensorStore store) {
  InspectGroup group{std::move(label), std::move(store)};
  for (const auto& name : group.store.names()) {
    const auto& e = group.store.entry(name);
    group.num_parameters += e.numel();
    group.num_bytes += e.nbytes();
  }
  return group;
}

// A folder of our run layout (run dir, checkpoints root or step folder) -> the step folder.
fs::path resolve_folder(const fs::path& folder) {
  const bool run_like = fs::exists(folder / "latest") || fs::is_directory(folder / "checkpoints");
  if (run_like) return io::resolve_checkpoint(folder);
  for (const auto& item : fs::directory_iterator(folder)) {
    if (item.is_directory() && io::CheckpointDir::parse_step(item.path())) {
      return io::resolve_checkpoint(folder);
    }
  }
  return folder;
}

}  // namespace

InspectResult inspect(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file or folder");
  InspectResult result{path, path, {}};
  if (!fs::is_directory(path, ec)) {
    result.groups.push_back(make_group(path.filename().string(), io::TensorStore::open(path)));
    return result;
  }
  result.resolved = resolve_folder(path);
  // An index covers its shards; every other .safetensors file is a group of its own.
  std::vector<fs::path> indexes, files;
  for (const auto& item : fs::directory_iterator(result.resolved)) {
    const std::string name = item.path().filename().string();
    if (ends_with(name, ".safetensors.index.json")) indexes.push_back(item.path());
    if (ends_with(name, ".safetensors") && item.is_regular_file()) files.push_back(item.path());
  }
  std::sort(indexes.begin(), indexes.end());
  std::sort(files.begin(), files.end());
  std::vector<fs::path> covered;
  for (const auto& index : indexes) {
    auto store = io::TensorStore::open(index);
    for (const auto& f : store.files()) covered.push_back(f->path());
    result.groups.push_back(make_group(index.filename().string(), std::move(store)));
  }
  for (const auto& file : files) {
    if (std::find(covered.begin(), covered.end(), file) != covered.end()) continue;
    result.groups.push_back(make_group(file.filename().string(), io::TensorStore::open(file)));
  }
  if (result.groups.empty()) {
    throw Error(result.resolved.string() + ": no .safetensors files in this folder");
  }
  return result;
}

std::string format_inspect(const InspectResult& result) {
  std::ostringstream out;
  out << result.path.string();
  if (result.resolved != result.path) out << " -> " << result.resolved.string();
  out << "\n";
  uint64_t total_tensors = 0, total_params = 0;
  for (const auto& g : result.groups) {
    const auto names = g.store.names();
    size_t width = 4;
    for (const auto& n : names) width = std::max(width, n.size());
    out << "\n" << g.label;
    if (g.store.sharded()) out << " (sharded: " << g.store.files().size() << " files)";
    out << "\n";
    out << fmt::format("  {:<{}}  {:<5}  {:<20}  {:>12}\n", "name", width, "dtype", "shape",
                       "elements");
    for (const auto& n : names) {
      const auto& e = g.store.entry(n);
      out << fmt::format("  {:<{}}  {:<5}  {:<20}  {:>12}\n", n, width, io::st::dtype_name(e.dtype),
                         runtime::shape_string(e.shape), e.numel());
    }
    out << fmt::format("  {} tensors, {} parameters, {} bytes\n", names.size(), g.num_parameters,
                       g.num_bytes);
    total_tensors += names.size();
    total_params += g.num_parameters;
  }
  if (result.groups.size() > 1) {
    out << fmt::format("\ntotal: {} tensors, {} parameters in {} groups\n", total_tensors,
                       total_params, result.groups.size());
  }
  return out.str();
}

io::Json inspect_json(const InspectResult& result) {
  io::Json groups = io::Json::array();
  uint64_t total_tensors = 0, total_params = 0;
  for (const auto& g : result.groups) {
    io::Json tensors = io::Json::array();
    for (const auto& n : g.store.names()) {
      const auto& e = g.store.entry(n);
      tensors.push_back({{"name", n},
                         {"dtype", io::st::dtype_name(e.dtype)},
                         {"shape", e.shape},
                         {"numel", e.numel()},
                         {"file", g.store.file_of(n).path().filename().string()}});
    }
    io::Json files = io::Json::array();
    for (const auto& f : g.store.files()) files.push_back(f->path().filename().string());
    groups.push_back({{"label", g.label},
                      {"sharded", g.store.sharded()},
                      {"files", files},
                      {"metadata", g.store.metadata()},
                      {"num_tensors", g.store.size()},
                      {"num_parameters", g.num_parameters},
                      {"num_bytes", g.num_bytes},
                      {"tensors", tensors}});
    total_tensors += g.store.size();
    total_params += g.num_parameters;
  }
  return {{"path", result.path.string()},
          {"resolved", result.resolved.string()},
          {"groups", groups},
          {"num_tensors", total_tensors},
          {"num_parameters", total_params}};
}

}  // namespace setok::infer
