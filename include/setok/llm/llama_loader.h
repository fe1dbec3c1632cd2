#pragma once
// HF LLaMA checkpoints: config.json + model.safetensors or shards with
// model.safetensors.index.json, any stored float dtype (converted to the model's dtype). The
// name map lives here, apart from the model.
#include <filesystem>

#include "setok/io/name_map.h"
#include "setok/llm/llama_model.h"

namespace setok::llm {

// HF LlamaForCausalLM names are ours; the map only drops what HF may store but we recompute
// (rotary inv_freq) and, for tied embeddings, a stored lm_head copy.
io::NameMap llama_name_map(const LlamaConfig& config);

// Builds from `folder`/config.json and loads strictly (errors list missing / unexpected /
// mis-shaped tensors and name the folder).
LlamaForCausalLM load_llama(const std::filesystem::path& folder,
                            c10::ScalarType dtype = c10::kFloat);

// Writes config.json and the weights (sharded when larger than `max_shard_bytes`) as HF's
// save_pretrained does. Adapters must be merged first (or saved apart with nn::save_lora):
// unmerged LoRA layers are an error.
void save_llama(LlamaForCausalLM& model, const std::filesystem::path& folder,
                uint64_t max_shard_bytes = 5ull << 30);

}  // namespace setok::llm
