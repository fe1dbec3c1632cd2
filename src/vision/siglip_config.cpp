#include "setok/vision/siglip_config.h"

#include "setok/nn/activation.h"
#include "setok/runtime/error.h"

namespace setok::vision {

namespace {

using io::Json;

// Reads `key` into `out` when present; a wrong type is an error naming the file and the field.
// `where` is "<file>: <prefix>" (prefix empty or ending in '.').
void read_int(const Json& j, const char* key, int64_t& out, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return;
  if (!j[key].is_number_integer() && !j[key].is_number_unsigned()) {
    throw Error(where + key + ": expected integer, got " + j[key].dump());
  }
  out = j[key].get<int64_t>();
}
void read_double(const Json& j, const char* key, double& out, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return;
  if (!j[key].is_number()) throw Error(where + key + ": expected number, got " + j[key].dump());
  out = j[key].get<double>();
}
void read_string(const Json& j, const char* key, std::string& out, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return;
  if (!j[key].is_string()) throw Error(where + key + ": expected string, got " + j[key].dump());
  out = j[key].get<std::string>();
}

SiglipVisionConfig parse_vision(const Json& j, const std::string& where) {
  SiglipVisionConfig c;
  read_int(j, "hidden_size", c.hidden_size, where);
  read_int(j, "intermediate_size", c.intermediate_size, where);
  read_int(j, "num_hidden_layers", c.num_hidden_layers, where);
  read_int(j, "num_attention_heads", c.num_attention_heads, where);
  read_int(j, "num_channels", c.num_channels, where);
  read_int(j, "image_size", c.image_size, where);
  read_int(j, "patch_size", c.patch_size, where);
  read_double(j, "layer_norm_eps", c.layer_norm_eps, where);
  read_string(j, "hidden_act", c.hidden_act, where);
  read_double(j, "attention_dropout", c.attention_dropout, where);
  if (j.contains("vision_use_head") && j["vision_use_head"].is_boolean()) {
    c.use_head = j["vision_use_head"].get<bool>();
  }
  return c;
}

SiglipTextConfig parse_text(const Json& j, const std::string& where) {
  SiglipTextConfig c;
  read_int(j, "vocab_size", c.vocab_size, where);
  read_int(j, "hidden_size", c.hidden_size, where);
  read_int(j, "intermediate_size", c.intermediate_size, where);
  read_int(j, "num_hidden_layers", c.num_hidden_layers, where);
  read_int(j, "num_attention_heads", c.num_attention_heads, where);
  read_int(j, "max_position_embeddings", c.max_position_embeddings, where);
  read_int(j, "projection_size", c.projection_size, where);
  read_int(j, "pad_token_id", c.pad_token_id, where);
  read_double(j, "layer_norm_eps", c.layer_norm_eps, where);
  read_string(j, "hidden_act", c.hidden_act, where);
  read_double(j, "attention_dropout", c.attention_dropout, where);
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
  if (patch_size <= 0 || image_size <= 0 || image_size % patch_size != 0) {
    throw Error(label + ": image_size " + std::to_string(image_size) +
                " must be a positive multiple of patch_size " + std::to_string(patch_size));
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
  if (!json.is_object()) throw Error(label + ": expected a JSON object");
  const std::string type = json.value("model_type", std::string());
  SiglipConfig config;
  if (type == "siglip_vision_model") {
    config.vision = parse_vision(json, label + ": ");
  } else if (type == "siglip") {
    if (!json.contains("vision_config") || !json["vision_config"].is_object()) {
      throw Error(label + ": a siglip config needs a vision_config object");
    }
    config.vision = parse_vision(json["vision_config"], label + ": vision_config.");
    if (json.contains("vision_use_head") && json["vision_use_head"].is_boolean()) {
      config.vision.use_head = json["vision_use_head"].get<bool>();
    }
    if (json.contains("text_config") && json["text_config"].is_object()) {
      config.text = parse_text(json["text_config"], label + ": text_config.");
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
