#pragma once
// Exporting a Setokim run for use elsewhere (the released scripts' merge_lora_weights.py and
// extract_mm_projector.py):
//   <out>/llm/                  the LLM as an HF LLaMA folder (config.json, safetensors,
//                               tokenizer.model), LoRA adapters merged into its weights
//   <out>/adapter/              the LoRA adapters in PEFT's layout (adapter_model.safetensors,
//                               adapter_config.json), when the run has them
//   <out>/mm_projector.safetensors
//                               the projectors, the special-token rows and the diffusion head,
//                               under the names a Setokim run loads (train.init_from accepts the
//                               folder)
#include <filesystem>

#include "setok/train/setokim_config.h"

namespace setok::train {

struct SetokimExport {
  std::filesystem::path llm, adapter, projectors;  // adapter empty without LoRA
};

// Builds the run's model from its config, loads the trained weights of `checkpoint` (a run or
// step folder; its frozen-base fingerprint is checked) and writes the three parts.
SetokimExport export_setokim(const SetokimConfig& config, const std::filesystem::path& checkpoint,
                             const std::filesystem::path& out);

}  // namespace setok::train
