#pragma once
// LoRA (Hu et al.): a Linear layer y = x W^T + b that can carry a low-rank adapter,
//   y += dropout(x) A^T B^T * (alpha / r),   A [r, in], B [out, r],
// initialised as PEFT does (A: kaiming-uniform a = sqrt(5), B: zeros, so a fresh adapter
// changes nothing). Models that want adapters build their linears as LoraLinear; the functions
// below find them by name, attach, merge and unmerge adapters, and save / load them under PEFT's
// names (`base_model.model.<module>.lora_A.weight`) with an `adapter_config.json`, so
// `PeftModel.from_pretrained` reads what we write and we read what PEFT writes.
#include <filesystem>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace setok::nn {

struct LoraOptions {
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  // Module-name patterns: a plain pattern matches a name equal to it or ending in "." + it
  // (PEFT's list semantics: "q_proj" matches "model.layers.0.self_attn.q_proj"); a pattern
  // starting with "re:" is a regular expression that must match the whole name.
  std::vector<std::string> target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                             "gate_proj", "up_proj", "down_proj"};
};

class LoraLinearImpl : public torch::nn::Module {
 public:
  // Initialised as torch::nn::Linear (kaiming-uniform a = sqrt(5), bias from fan-in), in
  // `dtype`.
  LoraLinearImpl(int64_t in, int64_t out, bool bias, c10::ScalarType dtype = c10::kFloat);

  at::Tensor forward(const at::Tensor& x);  // [..., in] -> [..., out]

  // Adds a fresh adapter (replacing any previous one). Throws if merged.
  void attach_lora(int64_t r, double alpha, double dropout);
  bool has_lora() const { return !lora_A.is_empty(); }
  bool merged() const { return merged_; }
  double scaling() const { return scaling_; }
  int64_t rank() const;
  // W += B A * scaling (no-op when merged); forward then skips the adapter path.
  void merge();
  // W -= B A * scaling (no-op when not merged).
  void unmerge();

  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  at::Tensor weight;  // [out, in]
  at::Tensor bias;    // [out] or undefined
  torch::nn::Linear lora_A{nullptr};
  torch::nn::Linear lora_B{nullptr};

 private:
  at::Tensor delta() const;  // [out, in] = B A * scaling
  double scaling_ = 0.0;
  double dropout_ = 0.0;
  bool merged_ = false;
};
TORCH_MODULE(LoraLinear);

bool lora_pattern_matches(const std::string& pattern, const std::string& name);

// Attaches adapters to every LoraLinear under `root` whose dotted name matches a target
// pattern; returns the names (sorted). Throws setok::Error when nothing matches, or when a
// pattern matches a module that is not a LoraLinear.
std::vector<std::string> apply_lora(torch::nn::Module& root, const LoraOptions& options);

// Every LoraLinear with an adapter: its name and module.
std::vector<std::pair<std::string, LoraLinear>> lora_layers(torch::nn::Module& root);
// The adapter parameters (A and B of every layer): what stage 3 trains.
std::vector<at::Tensor> lora_parameters(torch::nn::Module& root);

void merge_lora(torch::nn::Module& root);
void unmerge_lora(torch::nn::Module& root);

// `<folder>/adapter_model.safetensors` + `<folder>/adapter_config.json` (PEFT layout). Written
// atomically. Throws when `root` has no adapters.
void save_lora(torch::nn::Module& root, const std::filesystem::path& folder,
               const LoraOptions& options, const std::string& base_model = "");

// Reads a PEFT adapter folder into `root`: attaches adapters (rank from the tensors, alpha and
// dropout from the config) to the named modules and loads A and B. Errors name the folder and
// the tensor: a module that does not exist or is not a LoraLinear, a shape mismatch, A without
// B. Returns the options read from adapter_config.json.
LoraOptions load_lora(torch::nn::Module& root, const std::filesystem::path& folder);

}  // namespace setok::nn
