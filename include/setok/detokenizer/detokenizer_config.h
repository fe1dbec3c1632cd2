#pragma once
// Config section `model.detokenizer`: SeTok tokens -> image.
#include <string>

#include "setok/config/schema.h"

namespace setok::detokenizer {

struct DetokenizerConfig : config::Section {
  int64_t image_size = 224;  // output resolution
  int64_t patch_size = 16;   // one Q-Former query per output patch: (image/patch)^2 queries
  // Q-Former mapper
  int64_t qformer_hidden = 768;
  int64_t qformer_layers = 6;
  int64_t qformer_heads = 12;
  int64_t qformer_intermediate = 3072;
  int64_t cross_attention_frequency = 2;
  double qformer_dropout = 0.1;
  std::string bert_init;  // bert-base-uncased-layout folder: initialises self-attention etc.
  // pixel decoder (pre-norm ViT)
  int64_t decoder_width = 768;
  int64_t decoder_depth = 8;
  int64_t decoder_heads = 12;
  double decoder_mlp_ratio = 4.0;
  // output head
  std::string head = "pixels";  // pixels | diffusion
  int64_t diffusion_width = 1024;
  int64_t diffusion_depth = 3;
  std::string diffusion_steps = "100";  // respacing used for sampling
  std::string noise_schedule = "cosine";
  int64_t diffusion_batch_mul = 4;
  double temperature = 1.0;

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;

  int64_t grid() const { return image_size / patch_size; }
  int64_t num_queries() const { return grid() * grid(); }
  int64_t patch_dim() const { return patch_size * patch_size * 3; }
};

}  // namespace setok::detokenizer
