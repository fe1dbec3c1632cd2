#pragma once
// What a Setokim run holds, without loading or allocating the big parts (`--dry-run`): the
// parameter counts of every part and of the trainable set, and a memory plan. The LLM's counts
// come from its architecture (LLaMA's formula, and LoRA's r (in + out) per adapted linear);
// SeTok's tokenizer and detokenizer, the projectors and the diffusion head are small enough to
// build and count. Tested against the counts of fully built models.
#include <map>
#include <string>

#include "setok/mllm/setokim_model.h"
#include "setok/train/setokim_config.h"

namespace setok::train {

struct PartCount {
  int64_t total = 0;
  int64_t trainable = 0;
};

struct SetokimPlan {
  std::map<std::string, PartCount> parts;  // setok, detokenizer, llm, lora, projectors, ...
  int64_t total = 0, trainable = 0;
  // Bytes: frozen and trainable weights in their dtypes; float32 AdamW moments (and masters of
  // 16-bit trainable weights); gradients.
  int64_t weight_bytes = 0, optimizer_bytes = 0, gradient_bytes = 0;
  std::string text() const;  // a human-readable table
};

// The LLM's parameter count from its architecture (tied embeddings counted once).
int64_t llama_parameters(const llm::LlamaConfig& config);
// LoRA's parameter count on the LLaMA linears matching the options' targets.
int64_t llama_lora_parameters(const llm::LlamaConfig& config, const nn::LoraOptions& options);

SetokimPlan plan_setokim(const SetokimConfig& config);

// The trained part of Setokim with random weights, shaped by the config alone (no weights,
// tokenizer or data read): for benchmarks. The vocabulary is the configured vocab_size, else the
// tokenizer's when it exists, else 32000.
mllm::SetokimModel random_setokim_model(const SetokimConfig& config);

}  // namespace setok::train
