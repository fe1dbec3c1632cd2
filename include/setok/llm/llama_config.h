#pragma once
// LLaMA architecture as HF's `config.json` describes it (model_type "llama"), parsed strictly:
// known fields are type-checked (errors name the file and field), unknown ones ignored as HF
// does. RoPE settings come from `rope_parameters` (transformers >= 5) or from top-level
// `rope_theta` + `rope_scaling` (older files).
#include <filesystem>
#include <string>
#include <vector>

#include "setok/io/json.h"
#include "setok/nn/rope.h"

namespace setok::llm {

struct LlamaConfig {
  int64_t vocab_size = 32000;
  int64_t hidden_size = 4096;
  int64_t intermediate_size = 11008;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 0;  // 0 = num_attention_heads
  int64_t head_dim = 0;             // 0 = hidden_size / num_attention_heads
  int64_t max_position_embeddings = 4096;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  nn::RopeOptions rope_scaling;  // type/factor/...; head_dim and theta are filled by rope()
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
  std::string hidden_act = "silu";
  double initializer_range = 0.02;
  double attention_dropout = 0.0;  // on the attention weights, training only
  int64_t bos_token_id = 1;
  std::vector<int64_t> eos_token_ids = {2};
  int64_t pad_token_id = -1;  // -1: none

  int64_t kv_heads() const {
    return num_key_value_heads > 0 ? num_key_value_heads : num_attention_heads;
  }
  int64_t head_size() const { return head_dim > 0 ? head_dim : hidden_size / num_attention_heads; }
  nn::RopeOptions rope() const;
  // Throws setok::Error("<label>: ...") for inconsistent sizes or an unknown activation.
  void check(const std::string& label) const;
};

LlamaConfig parse_llama_config(const io::Json& json, const std::string& label);
LlamaConfig read_llama_config(const std::filesystem::path& config_json);
// The HF config.json for `config` (transformers 5 layout: rope_parameters).
io::Json llama_config_json(const LlamaConfig& config);

}  // namespace setok::llm
