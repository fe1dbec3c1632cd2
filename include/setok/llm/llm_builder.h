#pragma once
// Building the LLM a config describes: pretrained weights or random init, the text tokenizer,
// embedding rows for the special tokens, LoRA (fresh or loaded), dtype and device.
#include <memory>
#include <optional>

#include <c10/core/Device.h>

#include "setok/llm/llama_model.h"
#include "setok/llm/llm_config.h"
#include "setok/llm/text_tokenizer.h"

namespace setok::llm {

struct Llm {
  LlamaForCausalLM model{nullptr};
  std::shared_ptr<TextTokenizer> tokenizer;  // null when the config names none
  std::vector<std::string> lora_modules;     // adapted layers (empty without LoRA)
};

// Steps, in order: load `pretrained` (or random init from the config, seeded by the caller's
// runtime seed); when a tokenizer is given and its vocabulary with the special tokens is larger
// than the embedding, grow the embedding (new rows = mean); attach LoRA (lora.adapter loads a
// PEFT folder, lora.enabled attaches fresh adapters); move to `device`.
Llm build_llm(const LlmConfig& config, const c10::Device& device);

}  // namespace setok::llm
