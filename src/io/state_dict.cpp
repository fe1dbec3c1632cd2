#include "setok/io/state_dict.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/runtime/strings.h"

namespace setok::io {

std::string LoadReport::summary() const {
  std::ostringstream out;
  out << loaded.size() << " loaded, " << missing.size() << " missing, " << unexpected.size()
      << " unexpected, " << mismatched.size() << " shape-mismatched, " << ignored.size()
      << " ignored";
  for (const auto& name : missing) out << "\n  missing: " << name;
  for (const auto& name : unexpected) out << "\n  unexpected: " << name;
  for (const auto& m : mismatched) {
    out << "\n  shape mismatch: " << m.module_name << " " << runtime::shape_string(m.module_shape)
        << " vs checkpoint " << m.checkpoint_name << " "
        << runtime::shape_string(m.checkpoint_shape);
  }
  return out.str();
}

NamedTensors module_state(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

LoadReport load_state(torch::nn::Module& module, const TensorStore& store,
                      const LoadOptions& options) {
  std::map<std::string, at::Tensor> targets;
  for (auto& [name, tensor] : module_state(module)) {
    if (tensor.defined()) targets.emplace(name, tensor);
  }
  LoadReport report;
  std::map<std::string, std::string> source_of;  // module name -> checkpoint name
  for (const auto& ckpt_name : store.names()) {
    const auto mapped = options.name_map.map(ckpt_name);
    if (!mapped) {
      report.ignored.push_back(ckpt_name);
      continue;
    }
    auto target = targets.find(*mapped);
    if (target == targets.end()) {
      report.unexpected.push_back(*mapped == ckpt_name ? ckpt_name
                                                       : ckpt_name + " (as " + *mapped + ")");
      continue;
    }
    auto [prev, inserted] = source_of.emplace(*mapped, ckpt_name);
    if (!inserted) {
      throw Error(store.path().string() + ": checkpoint tensors '" + prev->second + "' and '" +
                  ckpt_name + "' both map to module tensor '" + *mapped + "'");
    }
    const auto& entry = store.entry(ckpt_name);
    const auto module_shape = target->second.sizes().vec();
    if (module_shape != entry.shape) {
      report.mismatched.push_back({*mapped, ckpt_name, module_shape, entry.shape});
      source_of.erase(*mapped);
    }
  }
  for (const auto& kv : targets) {
    const bool mismatched =
        std::any_of(report.mismatched.begin(), report.mismatched.end(),
                    [&](const ShapeMismatch& m) { return m.module_name == kv.first; });
    if (!source_of.count(kv.first) && !mismatched) report.missing.push_back(kv.first);
  }
  if (options.strict && !report.ok()) {
    throw Error(store.path().string() +
                ": does not match the module (strict load): " + report.summary());
  }
  at::NoGradGuard no_grad;
  for (const auto& [module_name, ckpt_name] : source_of) {
    auto& target = targets.at(module_name);
    target.copy_(store.get(ckpt_name));
    report.loaded.push_back(module_name);
  }
  return report;
}

void save_state(const torch::nn::Module& module, const std::filesystem::path& path,
                const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, module_state(module), metadata);
}

std::string frozen_fingerprint(const torch::nn::Module& module, const std::string& prefix) {
  at::NoGradGuard g;
  std::string bytes;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const at::Tensor& p = item.value();
    if (p.requires_grad()) continue;
    bytes += prefix + item.key() + "|" + std::string(c10::toString(p.scalar_type())) + "|" +
             c10::str(p.sizes()) + "|";
    const at::Tensor flat = p.detach().reshape(-1);
    const int64_t n = flat.numel(), take = std::min<int64_t>(n, 4096);
    if (take == 0) continue;
    const at::Tensor idx = at::div(
        at::arange(take, at::TensorOptions(at::kLong).device(flat.device())) * n, take, "floor");
    const at::Tensor sample = flat.index_select(0, idx).to(at::kCPU).to(at::kFloat).contiguous();
    bytes.append(static_cast<const char*>(sample.data_ptr()),
                 static_cast<size_t>(sample.numel()) * sizeof(float));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(runtime::stable_hash(bytes)));
  return hex;
}

LoadReport load_trainable_state(torch::nn::Module& module, const TensorStore& store,
                                const LoadOptions& options) {
  std::set<std::string> frozen;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) frozen.insert(item.key());
  }
  LoadOptions lenient = options;
  lenient.strict = false;
  LoadReport report = load_state(module, store, lenient);
  std::vector<std::string> missing;
  for (const auto& m : report.missing) {
    if (!frozen.count(m)) missing.push_back(m);
  }
  report.missing = missing;
  if (options.strict && !report.ok()) {
    throw Error(store.path().string() + " does not match the model:\n" + report.summary());
  }
  return report;
}

}  // namespace setok::io
