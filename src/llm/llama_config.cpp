#include "setok/llm/llama_config.h"

#include "setok/io/hf_config.h"
#include "setok/nn/activation.h"
#include "setok/runtime/error.h"

namespace setok::llm {

namespace {

void parse_rope(const io::HfConfigReader& r, nn::RopeOptions& rope, double& theta) {
  r.get("rope_theta", theta);
  std::string type = rope.type;
  r.get("rope_type", type);
  r.get("type", type);  // old rope_scaling spelling
  rope.type = type;
  r.get("factor", rope.factor);
  r.get("low_freq_factor", rope.low_freq_factor);
  r.get("high_freq_factor", rope.high_freq_factor);
  r.get("original_max_position_embeddings", rope.original_max_position_embeddings);
}

}  // namespace

nn::RopeOptions LlamaConfig::rope() const {
  nn::RopeOptions o = rope_scaling;
  o.head_dim = head_size();
  o.theta = rope_theta;
  return o;
}

void LlamaConfig::check(const std::string& label) const {
  auto bad = [&](const std::string& why) { throw Error(label + ": " + why); };
  if (vocab_size <= 0) bad("vocab_size must be positive");
  if (hidden_size <= 0 || intermediate_size <= 0 || num_hidden_layers < 0)
    bad("hidden_size, intermediate_size and num_hidden_layers must be positive");
  if (num_attention_heads <= 0) bad("num_attention_heads must be positive");
  if (head_dim <= 0 && hidden_size % num_attention_heads != 0)
    bad("hidden_size " + std::to_string(hidden_size) +
        " is not a multiple of num_attention_heads " + std::to_string(num_attention_heads) +
        " (and head_dim is not given)");
  if (num_attention_heads % kv_heads() != 0)
    bad("num_attention_heads " + std::to_string(num_attention_heads) +
        " is not a multiple of num_key_value_heads " + std::to_string(kv_heads()));
  if (head_size() % 2 != 0) bad("head_dim must be even for RoPE");
  if (max_position_embeddings <= 0) bad("max_position_embeddings must be positive");
  if (!(rms_norm_eps > 0)) bad("rms_norm_eps must be positive");
  if (!(attention_dropout >= 0 && attention_dropout < 1))
    bad("attention_dropout must be in [0, 1)");
  try {
    nn::parse_activation(hidden_act);
    nn::rope_inv_freq(rope());
  } catch (const Error& e) {
    bad(e.what());
  }
}

LlamaConfig parse_llama_config(const io::Json& json, const std::string& label) {
  const io::HfConfigReader r(json, label);
  std::string type;
  r.get("model_type", type);
  if (type != "llama") {
    throw Error(label + ": model_type '" + type + "' is not a LLaMA config (expected llama)");
  }
  LlamaConfig c;
  r.get("vocab_size", c.vocab_size);
  r.get("hidden_size", c.hidden_size);
  r.get("intermediate_size", c.intermediate_size);
  r.get("num_hidden_layers", c.num_hidden_layers);
  r.get("num_attention_heads", c.num_attention_heads);
  r.get("num_key_value_heads", c.num_key_value_heads);
  r.get("head_dim", c.head_dim);
  r.get("max_position_embeddings", c.max_position_embeddings);
  r.get("rms_norm_eps", c.rms_norm_eps);
  r.get("tie_word_embeddings", c.tie_word_embeddings);
  r.get("attention_bias", c.attention_bias);
  r.get("mlp_bias", c.mlp_bias);
  r.get("hidden_act", c.hidden_act);
  r.get("initializer_range", c.initializer_range);
  r.get("attention_dropout", c.attention_dropout);
  r.get("bos_token_id", c.bos_token_id);
  r.get("eos_token_id", c.eos_token_ids);
  r.get("pad_token_id", c.pad_token_id);
  r.get("rope_theta", c.rope_theta);
  if (r.has("rope_scaling")) parse_rope(r.child("rope_scaling"), c.rope_scaling, c.rope_theta);
  if (r.has("rope_parameters"))
    parse_rope(r.child("rope_parameters"), c.rope_scaling, c.rope_theta);
  c.check(label);
  return c;
}

LlamaConfig read_llama_config(const std::filesystem::path& config_json) {
  return parse_llama_config(io::read_json(config_json), config_json.string());
}

io::Json llama_config_json(const LlamaConfig& c) {
  io::Json rope = {{"rope_theta", c.rope_theta}, {"rope_type", c.rope_scaling.type}};
  if (c.rope_scaling.type != "default") rope["factor"] = c.rope_scaling.factor;
  if (c.rope_scaling.type == "llama3") {
    rope["low_freq_factor"] = c.rope_scaling.low_freq_factor;
    rope["high_freq_factor"] = c.rope_scaling.high_freq_factor;
    rope["original_max_position_embeddings"] = c.rope_scaling.original_max_position_embeddings;
  }
  io::Json j = {{"architectures", {"LlamaForCausalLM"}},
                {"model_type", "llama"},
                {"vocab_size", c.vocab_size},
                {"hidden_size", c.hidden_size},
                {"intermediate_size", c.intermediate_size},
                {"num_hidden_layers", c.num_hidden_layers},
                {"num_attention_heads", c.num_attention_heads},
                {"num_key_value_heads", c.kv_heads()},
                {"head_dim", c.head_size()},
                {"max_position_embeddings", c.max_position_embeddings},
                {"rms_norm_eps", c.rms_norm_eps},
                {"rope_theta", c.rope_theta},
                {"rope_parameters", rope},
                {"tie_word_embeddings", c.tie_word_embeddings},
                {"attention_bias", c.attention_bias},
                {"mlp_bias", c.mlp_bias},
                {"hidden_act", c.hidden_act},
                {"initializer_range", c.initializer_range},
                {"attention_dropout", c.attention_dropout},
                {"bos_token_id", c.bos_token_id},
                {"dtype", "float32"}};
  if (c.eos_token_ids.size() == 1) {
    j["eos_token_id"] = c.eos_token_ids[0];
  } else {
    j["eos_token_id"] = c.eos_token_ids;
  }
  j["pad_token_id"] = c.pad_token_id >= 0 ? io::Json(c.pad_token_id) : io::Json(nullptr);
  return j;
}

}  // namespace setok::llm
