#include "setok/llm/llama_loader.h"

#include "setok/io/json.h"
#include "setok/io/safetensors.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/nn/lora.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"

namespace setok::llm {

io::NameMap llama_name_map(const LlamaConfig& config) {
  io::NameMap map;
  map.ignore(R"(.*rotary_emb\.inv_freq)");
  if (config.tie_word_embeddings) map.ignore(R"(lm_head\.weight)");
  return map;
}

LlamaForCausalLM load_llama(const std::filesystem::path& folder, c10::ScalarType dtype) {
  if (!std::filesystem::is_directory(folder)) {
    throw Error(folder.string() + ": not a folder (expected an HF LLaMA checkpoint folder)");
  }
  const LlamaConfig config = read_llama_config(folder / "config.json");
  LlamaForCausalLM model(config, dtype);
  io::LoadOptions options;
  options.name_map = llama_name_map(config);
  io::load_state(*model, io::TensorStore::open(folder), options);
  return model;
}

void save_llama(LlamaForCausalLM& model, const std::filesystem::path& folder,
                uint64_t max_shard_bytes) {
  for (const auto& [name, layer] : nn::lora_layers(*model)) {
    if (!layer->merged()) {
      throw Error("save_llama: LoRA adapter on '" + name +
                  "' is not merged (merge it, or save the adapters with save_lora)");
    }
  }
  io::NamedTensors tensors;
  for (auto& [name, tensor] : io::module_state(*model)) {
    if (name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos)
      continue;
    tensors.emplace_back(name, tensor.detach());
  }
  std::filesystem::create_directories(folder);
  io::save_safetensors_sharded(folder, tensors, max_shard_bytes, "model", {{"format", "pt"}});
  io::Json config = llama_config_json(model->config());
  config["dtype"] = runtime::dtype_name(model->dtype());
  io::write_json(folder / "config.json", config);
}

}  // namespace setok::llm
