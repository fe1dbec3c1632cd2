#include "setok/vision/siglip_config.h"

#include "setok/io/hf_config.h"
#include "setok/nn/activation.h"
#include "setok/runtime/error.h"

namespace setok::vision {

namespace {

using io::Json;

SiglipVisionConfig parse_vision(const io::HfConfigReader& r) {
  SiglipVisionConfig c;
  r.get("hidden_size", c.hidden_size);
  r.get("intermediate_size", c.intermediate_size);
  r.get("num_hidden_layers", c.num_hidden_layers);
  r.get("num_attention_heads", c.num_attention_heads);
  r.get("num_channels", c.num_channels);
  r.get("image_size", c.image_size);
  r.get("patch_size", c.patch_size);
  r.get("layer_norm_eps", c.layer_norm_eps);
  r.get("hidden_act", c.hidden_act);
  r.get("attention_dropout", c.attention_dropout);
  r.get("vision_use_head", c.use_head);
  return c;
}

SiglipTextConfig parse_text(const io::HfConfigReader& r) {
  SiglipTextConfig c;
  r.get("vocab_size", c.vocab_size);
  r.get("hidden_size", c.hidden_size);
  r.get("intermediate_size", c.intermediate_size);
  r.get("num_hidden_layers", c.num_hidden_layers);
  r.get("num_attention_heads", c.num_attention_heads);
  r.get("max_position_embeddings", c.max_position_embeddings);
  r.get("projection_size", c.projection_size);
  r.get("pad_token_id", c.pad_token_id);
  r.get("layer_norm_eps", c.layer_norm_eps);
  r.get("hidden_act", c.hidden_act);
  r.get("attention_dropout", c.attention_dropout);
  return c;
}

void check_tower(int64_t hidden, int64_t heads, int64_t layers, int64_t inter,
                 const std::string& act, const std::string& label) {
  if (hidden <= 0 || heads <= 0 || hidden % heads != 0) {
    throw Error(label + ": hidden_size " + std::to_string(hidden) +
                " must be a positive multiple of num_attention_heads " + std::to_string(heads));
  }
  if (layers < 0 || inter <= 0) throw Error(label + ": invalid layer count or intermediate_size");
  try {
    nn::parse_activation(act);
  } catch (const Error& e) {
    throw Error(label + ": hidden_act: " + e.what());
  }
}

}  // namespace

void SiglipVisionConfig::check(const std::string& label) const {
  check_tower(hidden_size, num_attention_heads, num_hidden_layers, intermediate_size, hidden_act,
              label);
  // HF's stride-p patch convolution floors: so400m's 384 / 14 gives 27 x 27 patches and the
  // last 6 pixel rows and columns are never seen. Any image_size >= patch_size is valid.
  if (patch_size <= 0 || image_size < patch_size) {
    throw Error(label + ": image_size " + std::to_string(image_size) +
                " must be at least patch_size " + std::to_string(patch_size) + " (both positive)");
  }
  if (num_channels <= 0) throw Error(label + ": num_channels must be positive");
}

void SiglipTextConfig::check(const std::string& label) const {
  check_tower(hidden_size, num_attention_heads, num_hidden_layers, intermediate_size, hidden_act,
              label);
  if (vocab_size <= 0 || max_position_embeddings <= 0) {
    throw Error(label + ": vocab_size and max_position_embeddings must be positive");
  }
}

SiglipConfig parse_siglip_config(const Json& json, const std::string& label) {
  const io::HfConfigReader r(json, label);
  std::string type;
  r.get("model_type", type);
  SiglipConfig config;
  if (type == "siglip_vision_model") {
    config.vision = parse_vision(r);
  } else if (type == "siglip") {
    config.vision = parse_vision(r.child("vision_config"));
    r.get("vision_use_head", config.vision.use_head);
    if (r.has("text_config")) {
      config.text = parse_text(r.child("text_config"));
      config.has_text = true;
    }
  } else {
    throw Error(label + ": model_type '" + type +
                "' is not a SigLIP config (expected siglip or siglip_vision_model)");
  }
  config.vision.check(label + ": vision_config");
  if (config.has_text) config.text.check(label + ": text_config");
  return config;
}

SiglipConfig read_siglip_config(const std::filesystem::path& config_json) {
  return parse_siglip_config(io::read_json(config_json), config_json.string());
}

}  // namespace setok::vision
