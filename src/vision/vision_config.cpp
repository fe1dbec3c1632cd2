#include "setok/vision/vision_config.h"

#include <filesystem>

#include "setok/nn/activation.h"
#include "setok/runtime/error.h"

namespace setok::vision {

void VisionConfig::describe(config::Schema& s) {
  s.field("pretrained", pretrained, "HF SigLIP folder; empty = random init from the keys below");
  s.field("image_size", image_size, "input resolution (without pretrained)");
  s.field("patch_size", patch_size, "patch size (without pretrained)");
  s.field("hidden_size", hidden_size, "width (without pretrained)");
  s.field("intermediate_size", intermediate_size, "MLP width (without pretrained)");
  s.field("layers", layers, "encoder layers (without pretrained)");
  s.field("heads", heads, "attention heads (without pretrained)");
  s.field("layer_norm_eps", layer_norm_eps, "LayerNorm epsilon (without pretrained)");
  s.field("activation", activation, "MLP activation (without pretrained)");
  s.field("select_layer", select_layer, "hidden state used: -1 = last layer, 0 = embeddings");
  s.field("trainable", trainable, "train the tower (frozen when false)");
  s.field("image_mean", image_mean, "per-channel mean (RGB, 0..1)");
  s.field("image_std", image_std, "per-channel std (RGB)");
  s.field("pad_to_square", pad_to_square, "pad to a square with the mean colour before resizing");
}

void VisionConfig::validate(const std::string& path) const {
  if (image_mean.size() != 3) config::fail(config::join(path, "image_mean"), "needs 3 values");
  if (image_std.size() != 3) config::fail(config::join(path, "image_std"), "needs 3 values");
  for (double v : image_std) {
    if (v <= 0) config::fail(config::join(path, "image_std"), "values must be > 0");
  }
  if (pretrained.empty()) architecture().check(path.empty() ? "vision" : path);
}

void VisionConfig::check_files(const std::string& path) const {
  if (!pretrained.empty() && !std::filesystem::is_directory(pretrained)) {
    config::fail(config::join(path, "pretrained"), "'" + pretrained + "' is not a folder");
  }
}

SiglipVisionConfig VisionConfig::architecture() const {
  if (!pretrained.empty()) {
    return read_siglip_config(std::filesystem::path(pretrained) / "config.json").vision;
  }
  SiglipVisionConfig c;
  c.image_size = image_size;
  c.patch_size = patch_size;
  c.hidden_size = hidden_size;
  c.intermediate_size = intermediate_size;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.layer_norm_eps = layer_norm_eps;
  c.hidden_act = activation;
  c.use_head = false;  // SeTok reads hidden states; a fresh tower needs no pooling head
  return c;
}

ImagePreprocess VisionConfig::preprocess() const {
  ImagePreprocess p;
  p.size = architecture().image_size;
  for (int i = 0; i < 3; ++i) {
    p.mean[i] = image_mean[i];
    p.std[i] = image_std[i];
  }
  p.pad_to_square = pad_to_square;
  if (!pretrained.empty()) p = read_preprocessor_config(pretrained, p);
  return p;
}

}  // namespace setok::vision
