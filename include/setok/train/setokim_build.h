#pragma once
// Building the Setokim module a run config describes, and loading a trained run for use.
#include <filesystem>

#include "setok/mllm/setokim.h"
#include "setok/train/setokim_config.h"

namespace setok::train {

using mllm::Setokim;

// The module a Setokim config describes: SeTok and the detokenizer from the stage-1 checkpoint
// (frozen), the LLM (pretrained or random), the weights of train.init_from (a stage-2 run; SeTok
// fingerprints checked), and the LoRA adapters (fresh, or model.llm.lora.adapter) when the run
// uses them.
Setokim build_setokim(const SetokimConfig& config);

// A trained run for use: the module its config builds (build_setokim, every parameter frozen)
// with the trained weights of `checkpoint` (a run or step folder) loaded; the checkpoint's
// frozen-base fingerprint must match what the config builds (use the run's own
// config.resolved.json).
Setokim load_setokim_run(const SetokimConfig& config, const std::filesystem::path& checkpoint);

}  // namespace setok::train
