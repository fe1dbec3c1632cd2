#pragma once
// Config section `model.vision`: which SigLIP vision tower feeds SeTok and how images are
// prepared for it.
#include <string>
#include <vector>

#include "setok/config/schema.h"
#include "setok/vision/preprocess.h"
#include "setok/vision/siglip_config.h"

namespace setok::vision {

struct VisionConfig : config::Section {
  // HF folder (config.json + safetensors [+ preprocessor_config.json]). When set, the
  // architecture and preprocessing come from it and the size keys below are ignored.
  std::string pretrained;
  int64_t image_size = 224;
  int64_t patch_size = 16;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t layers = 12;
  int64_t heads = 12;
  double layer_norm_eps = 1e-6;
  std::string activation = "gelu_pytorch_tanh";
  int64_t select_layer = -1;  // hidden_states index: -1 = last encoder layer (before post-LN)
  bool trainable = false;     // frozen by default
  std::vector<double> image_mean{0.5, 0.5, 0.5};
  std::vector<double> image_std{0.5, 0.5, 0.5};
  bool pad_to_square = false;

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;

  // The tower architecture: from `pretrained`/config.json, else from the keys above.
  SiglipVisionConfig architecture() const;
  // Preprocessing: image_size / mean / std, overridden by the pretrained folder's
  // preprocessor_config.json when present.
  ImagePreprocess preprocess() const;
};

}  // namespace setok::vision
