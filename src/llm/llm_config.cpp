#include "setok/llm/llm_config.h"

#include <filesystem>

#include "setok/llm/chat_template.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"

namespace setok::llm {

namespace fs = std::filesystem;

void LoraConfig::describe(config::Schema& s) {
  s.field("enabled", enabled, "attach fresh LoRA adapters to the target linears");
  s.field("r", r, "adapter rank");
  s.field("alpha", alpha, "scaling numerator (scale = alpha / r)");
  s.field("dropout", dropout, "dropout on the adapter input (training only)");
  s.field("target_modules", target_modules,
          "module names to adapt (suffix match; 're:' prefix for a regex)");
  s.field("adapter", adapter, "PEFT adapter folder to load (adapter_config.json + weights)");
}

void LoraConfig::validate(const std::string& path) const {
  if (r < 1) config::fail(config::join(path, "r"), "must be >= 1");
  if (!(dropout >= 0 && dropout < 1))
    config::fail(config::join(path, "dropout"), "must be in [0, 1)");
  if (target_modules.empty()) config::fail(config::join(path, "target_modules"), "is empty");
}

void LoraConfig::check_files(const std::string& path) const {
  if (!adapter.empty() && !fs::is_regular_file(fs::path(adapter) / "adapter_config.json")) {
    config::fail(config::join(path, "adapter"),
                 "'" + adapter + "' is not a PEFT adapter folder (no adapter_config.json)");
  }
}

void LlmConfig::describe(config::Schema& s) {
  s.field("pretrained", pretrained, "HF LLaMA folder (empty = random init from the keys below)");
  s.field("tokenizer", tokenizer,
          "SentencePiece tokenizer.model (empty = <pretrained>/tokenizer.model)");
  s.choice("dtype", dtype, {"float32", "bfloat16", "float16"}, "parameter dtype");
  s.choice("chat_template", chat_template, {"plain", "vicuna_v1"}, "conversation template");
  s.field("vocab_size", vocab_size, "vocabulary (0 = tokenizer + special tokens; random init)");
  s.field("hidden_size", hidden_size, "width (random init)");
  s.field("intermediate_size", intermediate_size, "SwiGLU width (random init)");
  s.field("layers", layers, "decoder layers (random init)");
  s.field("heads", heads, "attention heads (random init)");
  s.field("kv_heads", kv_heads, "key/value heads, GQA (random init)");
  s.field("head_dim", head_dim, "head width, 0 = hidden_size / heads (random init)");
  s.field("max_position_embeddings", max_position_embeddings, "context length (random init)");
  s.field("rope_theta", rope_theta, "RoPE base (random init)");
  s.field("rms_norm_eps", rms_norm_eps, "RMSNorm epsilon (random init)");
  s.field("tie_embeddings", tie_embeddings, "share embedding and output matrices (random init)");
  s.field("init_std", init_std, "normal init std (random init)");
  s.field("gradient_checkpointing", gradient_checkpointing,
          "recompute decoder layers in backward instead of storing activations (training)");
  s.section("lora", lora, "LoRA adapters");
}

void LlmConfig::validate(const std::string& path) const {
  auto at = [&](const char* k) { return config::join(path, k); };
  // check() reports as "<path>: <why>", the same form as config::fail.
  if (pretrained.empty()) architecture(vocab_size > 0 ? vocab_size : 1).check(path);
  if (vocab_size < 0) config::fail(at("vocab_size"), "must be >= 0");
  if (!(init_std > 0)) config::fail(at("init_std"), "must be positive");
}

void LlmConfig::check_files(const std::string& path) const {
  if (!pretrained.empty() && !fs::is_regular_file(fs::path(pretrained) / "config.json")) {
    config::fail(config::join(path, "pretrained"),
                 "'" + pretrained + "' is not an HF model folder (no config.json)");
  }
  if (!tokenizer.empty() && !fs::is_regular_file(tokenizer)) {
    config::fail(config::join(path, "tokenizer"), "'" + tokenizer + "' is not a file");
  }
}

std::string LlmConfig::tokenizer_path() const {
  if (!tokenizer.empty()) return tokenizer;
  if (!pretrained.empty()) {
    const fs::path candidate = fs::path(pretrained) / "tokenizer.model";
    if (fs::is_regular_file(candidate)) return candidate.string();
  }
  return "";
}

LlamaConfig LlmConfig::architecture(int64_t vocab) const {
  if (!pretrained.empty()) return read_llama_config(fs::path(pretrained) / "config.json");
  LlamaConfig c;
  c.vocab_size = vocab_size > 0 ? vocab_size : vocab;
  c.hidden_size = hidden_size;
  c.intermediate_size = intermediate_size;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.num_key_value_heads = kv_heads;
  c.head_dim = head_dim;
  c.max_position_embeddings = max_position_embeddings;
  c.rope_theta = rope_theta;
  c.rms_norm_eps = rms_norm_eps;
  c.tie_word_embeddings = tie_embeddings;
  c.initializer_range = init_std;
  return c;
}

}  // namespace setok::llm
