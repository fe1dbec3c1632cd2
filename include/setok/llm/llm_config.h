#pragma once
// Config section `model.llm`: the LLaMA backbone, its text tokenizer, dtype, chat template and
// LoRA. A pretrained HF folder gives the architecture; otherwise the size keys build a randomly
// initialised model (tiny demo models, benchmarks).
#include <string>
#include <vector>

#include "setok/config/schema.h"
#include "setok/llm/llama_config.h"
#include "setok/nn/lora.h"

namespace setok::llm {

struct LoraConfig : config::Section {
  bool enabled = false;
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.05;
  std::vector<std::string> target_modules = nn::LoraOptions().target_modules;
  std::string adapter;  // PEFT adapter folder to load (implies enabled)

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;
  nn::LoraOptions options() const { return {r, alpha, dropout, target_modules}; }
};

struct LlmConfig : config::Section {
  std::string pretrained;  // HF LLaMA folder (config.json + safetensors)
  std::string tokenizer;   // SentencePiece model; empty = <pretrained>/tokenizer.model
  std::string dtype = "float32";
  std::string chat_template = "vicuna_v1";
  // Random initialisation (ignored with `pretrained`).
  int64_t vocab_size = 0;  // 0 = the tokenizer's vocabulary plus the added special tokens
  int64_t hidden_size = 64;
  int64_t intermediate_size = 176;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t kv_heads = 2;
  int64_t head_dim = 0;  // 0 = hidden_size / heads
  int64_t max_position_embeddings = 512;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_embeddings = false;
  double init_std = 0.02;
  bool gradient_checkpointing = false;  // recompute decoder layers in backward (saves memory)
  LoraConfig lora;

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;

  // The tokenizer file to use ("" when there is none).
  std::string tokenizer_path() const;
  // Architecture: from `pretrained`/config.json, else from the keys above (`vocab` fills a
  // vocab_size of 0; it must then be positive).
  LlamaConfig architecture(int64_t vocab) const;
};

}  // namespace setok::llm
