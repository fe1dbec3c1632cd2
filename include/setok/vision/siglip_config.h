#pragma once
// Architecture of the SigLIP vision and text towers, as HF's SiglipConfig describes them.
#include <filesystem>
#include <string>

#include "setok/io/json.h"

namespace setok::vision {

struct SiglipVisionConfig {
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t num_channels = 3;
  int64_t image_size = 224;
  int64_t patch_size = 16;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu_pytorch_tanh";
  double attention_dropout = 0.0;
  bool use_head = true;  // HF `vision_use_head`: the attention-pooling head

  // Patches per side: the stride-patch_size convolution floors (384 / 14 -> 27), as in HF.
  int64_t grid() const { return image_size / patch_size; }
  int64_t num_patches() const { return grid() * grid(); }
  // Throws setok::Error("<label>: ...") for inconsistent sizes.
  void check(const std::string& label) const;
};

struct SiglipTextConfig {
  int64_t vocab_size = 32000;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t max_position_embeddings = 64;
  int64_t projection_size = 0;  // 0 = hidden_size
  int64_t pad_token_id = 1;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu_pytorch_tanh";
  double attention_dropout = 0.0;

  int64_t projection() const { return projection_size > 0 ? projection_size : hidden_size; }
  void check(const std::string& label) const;
};

struct SiglipConfig {
  SiglipVisionConfig vision;
  SiglipTextConfig text;
  bool has_text = false;  // a vision-only config.json (siglip_vision_model) has no text tower
};

// Reads HF config.json: a full `siglip` config (nested vision_config / text_config) or a
// `siglip_vision_model` one. Known fields are type-checked (errors name file and field);
// fields we do not use are ignored, as HF itself does.
SiglipConfig read_siglip_config(const std::filesystem::path& config_json);
SiglipConfig parse_siglip_config(const io::Json& json, const std::string& label);

}  // namespace setok::vision
