#include "setok/vision/siglip_model.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::vision {

SiglipModelImpl::SiglipModelImpl(const SiglipConfig& config) {
  if (!config.has_text) throw Error("SiglipModel needs a text tower config");
  if (!config.vision.use_head) throw Error("SiglipModel needs the vision pooling head");
  text_model = register_module("text_model", SiglipTextModel(config.text));
  vision_model = register_module("vision_model", SiglipVisionModel(config.vision));
  // SigLIP's initial values: t' = log(10), b = -10.
  logit_scale = register_parameter("logit_scale", at::full({1}, std::log(10.0)));
  logit_bias = register_parameter("logit_bias", at::full({1}, -10.0));
}

SiglipOutput SiglipModelImpl::forward(const at::Tensor& pixel_values, const at::Tensor& input_ids,
                                      bool output_hidden_states) {
  SiglipOutput out;
  out.vision = vision_model->forward(pixel_values, output_hidden_states);
  out.text = text_model->forward(input_ids, {}, output_hidden_states);
  auto normalise = [](const at::Tensor& t) { return t / t.norm(2, {-1}, /*keepdim=*/true); };
  out.image_embeds = normalise(out.vision.pooler_output);  // [Bi, P]
  out.text_embeds = normalise(out.text.pooler_output);     // [Bt, P]
  const at::Tensor logits_per_text =
      at::matmul(out.text_embeds, out.image_embeds.t()) * logit_scale.exp() +
      logit_bias;  // [Bt, Bi]
  out.logits_per_image = logits_per_text.t();
  return out;
}

}  // namespace setok::vision
