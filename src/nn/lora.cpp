#include "setok/nn/lora.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "setok/io/json.h"
#include "setok/io/safetensors.h"
#include "setok/runtime/error.h"
#include "setok/runtime/strings.h"

namespace setok::nn {

namespace {

constexpr const char* kPeftPrefix = "base_model.model.";

}  // namespace

LoraLinearImpl::LoraLinearImpl(int64_t in, int64_t out, bool bias, c10::ScalarType dtype) {
  if (in <= 0 || out <= 0) throw Error("LoraLinear: features must be positive");
  at::NoGradGuard no_grad;
  weight = register_parameter("weight", at::empty({out, in}, at::TensorOptions(dtype)));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    this->bias = register_parameter("bias", at::empty({out}, at::TensorOptions(dtype)));
    this->bias.uniform_(-bound, bound);
  }
}

int64_t LoraLinearImpl::rank() const {
  return has_lora() ? lora_A->weight.size(0) : 0;
}

void LoraLinearImpl::attach_lora(int64_t r, double alpha, double dropout) {
  if (merged_) throw Error("LoraLinear: unmerge the current adapter before attaching another");
  if (r <= 0) throw Error("LoRA: r must be positive, got " + std::to_string(r));
  if (!(dropout >= 0 && dropout < 1)) throw Error("LoRA: dropout must be in [0, 1)");
  auto a = torch::nn::Linear(torch::nn::LinearOptions(in_features(), r).bias(false));
  auto b = torch::nn::Linear(torch::nn::LinearOptions(r, out_features()).bias(false));
  {
    at::NoGradGuard no_grad;
    b->weight.zero_();
    a->to(weight.device(), weight.scalar_type());
    b->to(weight.device(), weight.scalar_type());
  }
  if (has_lora()) {
    lora_A = replace_module("lora_A", a);
    lora_B = replace_module("lora_B", b);
  } else {
    lora_A = register_module("lora_A", a);
    lora_B = register_module("lora_B", b);
  }
  scaling_ = alpha / static_cast<double>(r);
  dropout_ = dropout;
}

at::Tensor LoraLinearImpl::delta() const {
  return at::matmul(lora_B->weight, lora_A->weight) * scaling_;  // [out, in]
}

void LoraLinearImpl::merge() {
  if (!has_lora() || merged_) return;
  at::NoGradGuard no_grad;
  weight.add_(delta().to(weight.scalar_type()));
  merged_ = true;
}

void LoraLinearImpl::unmerge() {
  if (!has_lora() || !merged_) return;
  at::NoGradGuard no_grad;
  weight.sub_(delta().to(weight.scalar_type()));
  merged_ = false;
}

at::Tensor LoraLinearImpl::forward(const at::Tensor& x) {
  at::Tensor y = at::linear(x, weight, bias);  // [..., out]
  if (has_lora() && !merged_) {
    const at::Tensor h = dropout_ > 0 && is_training() ? at::dropout(x, dropout_, true) : x;
    y = y + lora_B->forward(lora_A->forward(h)) * scaling_;
  }
  return y;
}

bool lora_pattern_matches(const std::string& pattern, const std::string& name) {
  if (pattern.rfind("re:", 0) == 0) return std::regex_match(name, std::regex(pattern.substr(3)));
  if (name == pattern) return true;
  return runtime::ends_with(name, "." + pattern);
}

std::vector<std::string> apply_lora(torch::nn::Module& root, const LoraOptions& options) {
  if (options.target_modules.empty()) throw Error("LoRA: target_modules is empty");
  std::vector<std::string> names;
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    const std::string& name = item.key();
    // Adapter sub-layers are never targets themselves.
    if (name.find(".lora_A") != std::string::npos || name.find(".lora_B") != std::string::npos)
      continue;
    const bool wanted =
        std::any_of(options.target_modules.begin(), options.target_modules.end(),
                    [&](const std::string& p) { return lora_pattern_matches(p, name); });
    if (!wanted) continue;
    auto* layer = dynamic_cast<LoraLinearImpl*>(item.value().get());
    if (layer == nullptr) {
      throw Error("LoRA: target '" + name + "' is a " + item.value()->name() +
                  ", not a linear layer that can take an adapter");
    }
    layer->attach_lora(options.r, options.alpha, options.dropout);
    names.push_back(name);
  }
  if (names.empty()) {
    std::string list;
    for (const auto& p : options.target_modules) list += (list.empty() ? "" : ", ") + p;
    throw Error("LoRA: no module matches target_modules [" + list + "]");
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::pair<std::string, LoraLinear>> lora_layers(torch::nn::Module& root) {
  std::vector<std::pair<std::string, LoraLinear>> out;
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    auto layer = std::dynamic_pointer_cast<LoraLinearImpl>(item.value());
    if (layer && layer->has_lora()) out.emplace_back(item.key(), LoraLinear(layer));
  }
  return out;
}

std::vector<at::Tensor> lora_parameters(torch::nn::Module& root) {
  std::vector<at::Tensor> out;
  for (auto& [name, layer] : lora_layers(root)) {
    out.push_back(layer->lora_A->weight);
    out.push_back(layer->lora_B->weight);
  }
  return out;
}

void merge_lora(torch::nn::Module& root) {
  for (auto& [name, layer] : lora_layers(root)) layer->merge();
}

void unmerge_lora(torch::nn::Module& root) {
  for (auto& [name, layer] : lora_layers(root)) layer->unmerge();
}

void save_lora(torch::nn::Module& root, const std::filesystem::path& folder,
               const LoraOptions& options, const std::string& base_model) {
  const auto layers = lora_layers(root);
  if (layers.empty()) throw Error("save_lora: the model has no LoRA adapters");
  io::NamedTensors tensors;
  for (const auto& [name, layer] : layers) {
    tensors.emplace_back(kPeftPrefix + name + ".lora_A.weight", layer->lora_A->weight.detach());
    tensors.emplace_back(kPeftPrefix + name + ".lora_B.weight", layer->lora_B->weight.detach());
  }
  std::filesystem::create_directories(folder);
  io::save_safetensors(folder / "adapter_model.safetensors", tensors, {{"format", "pt"}});
  io::Json config = {{"peft_type", "LORA"},
                     {"task_type", "CAUSAL_LM"},
                     {"r", options.r},
                     {"lora_alpha", options.alpha},
                     {"lora_dropout", options.dropout},
                     {"target_modules", options.target_modules},
                     {"bias", "none"},
                     {"fan_in_fan_out", false},
                     {"inference_mode", true},
                     {"init_lora_weights", true},
                     {"modules_to_save", nullptr},
                     {"base_model_name_or_path", base_model}};
  io::write_json(folder / "adapter_config.json", config);
}

LoraOptions load_lora(torch::nn::Module& root, const std::filesystem::path& folder) {
  const auto config_path = folder / "adapter_config.json";
  const io::Json config = io::read_json(config_path);
  LoraOptions options;
  try {
    if (config.value("peft_type", std::string("LORA")) != "LORA")
      throw Error("peft_type is not LORA");
    options.r = config.at("r").get<int64_t>();
    options.alpha = config.at("lora_alpha").get<double>();
    options.dropout = config.value("lora_dropout", 0.0);
    options.target_modules.clear();
    const io::Json& targets = config.at("target_modules");
    if (targets.is_string()) {
      options.target_modules.push_back("re:" + targets.get<std::string>());
    } else {
      options.target_modules = targets.get<std::vector<std::string>>();
    }
  } catch (const std::exception& e) {
    throw Error(config_path.string() + ": " + e.what());
  }
  const auto weights_path = folder / "adapter_model.safetensors";
  const auto file = io::SafetensorsFile::open(weights_path);
  std::map<std::string, std::shared_ptr<torch::nn::Module>> modules;
  for (const auto& item : root.named_modules("", false)) modules[item.key()] = item.value();
  const std::string prefix = kPeftPrefix;
  for (const auto& tensor_name : file->names()) {
    auto fail = [&](const std::string& why) {
      throw Error(weights_path.string() + ": tensor '" + tensor_name + "': " + why);
    };
    const std::string suffix = ".lora_A.weight";
    if (runtime::ends_with(tensor_name, suffix)) {
      if (tensor_name.rfind(prefix, 0) != 0) fail("does not start with '" + prefix + "'");
      const std::string name =
          tensor_name.substr(prefix.size(), tensor_name.size() - prefix.size() - suffix.size());
      const auto it = modules.find(name);
      if (it == modules.end()) fail("the model has no module '" + name + "'");
      auto* layer = dynamic_cast<LoraLinearImpl*>(it->second.get());
      if (layer == nullptr) fail("'" + name + "' is not a linear layer that can take an adapter");
      const std::string b_name = prefix + name + ".lora_B.weight";
      if (!file->contains(b_name)) fail("has no matching '" + b_name + "'");
      const at::Tensor a = file->tensor(tensor_name, at::kFloat);
      const at::Tensor b = file->tensor(b_name, at::kFloat);
      if (a.dim() != 2 || b.dim() != 2 || a.size(1) != layer->in_features() ||
          b.size(0) != layer->out_features() || a.size(0) != b.size(1)) {
        fail("shapes " + c10::str(a.sizes()) + " / " + c10::str(b.sizes()) +
             " do not fit a layer " + std::to_string(layer->in_features()) + " -> " +
             std::to_string(layer->out_features()));
      }
      if (a.size(0) != options.r && !config.contains("rank_pattern")) {
        fail("rank " + std::to_string(a.size(0)) +
             " differs from r = " + std::to_string(options.r) + " in " + config_path.string());
      }
      layer->attach_lora(a.size(0), options.alpha, options.dropout);
      at::NoGradGuard no_grad;
      layer->lora_A->weight.copy_(a);
      layer->lora_B->weight.copy_(b);
    } else {
      const std::string b_suffix = ".lora_B.weight";
      if (!runtime::ends_with(tensor_name, b_suffix))
        fail("is not a LoRA A or B weight (only LoRA adapters are supported)");
      const std::string a_name =
          tensor_name.substr(0, tensor_name.size() - b_suffix.size()) + suffix;
      if (!file->contains(a_name)) fail("has no matching '" + a_name + "'");
    }
  }
  return options;
}

}  // namespace setok::nn
