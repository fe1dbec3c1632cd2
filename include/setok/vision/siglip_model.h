#pragma once
// HF SiglipModel: both towers plus logit_scale / logit_bias; parameter names are exactly HF's
// (text_model.*, vision_model.*, logit_scale, logit_bias).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/vision/siglip_text.h"
#include "setok/vision/siglip_vision.h"

namespace setok::vision {

struct SiglipOutput {
  at::Tensor image_embeds;      // L2-normalised pooled image features [Bi, P]
  at::Tensor text_embeds;       // L2-normalised pooled text features [Bt, P]
  at::Tensor logits_per_image;  // [Bi, Bt] = image . text * exp(logit_scale) + logit_bias
  SiglipVisionOutput vision;
  SiglipTextOutput text;
};

class SiglipModelImpl : public torch::nn::Module {
 public:
  explicit SiglipModelImpl(const SiglipConfig& config);

  SiglipOutput forward(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                       bool output_hidden_states = false);

  SiglipTextModel text_model{nullptr};
  SiglipVisionModel vision_model{nullptr};
  at::Tensor logit_scale;  // [1]
  at::Tensor logit_bias;   // [1]
};
TORCH_MODULE(SiglipModel);

}  // namespace setok::vision
