#include "setok/train/stage1_config.h"

#include <filesystem>

#include "setok/runtime/error.h"

namespace setok::train {

void Stage1LossConfig::describe(config::Schema& s) {
  s.field("reconstruction", reconstruction, "weight of the pixel reconstruction loss");
  s.choice("reconstruction_kind", reconstruction_kind, {"l1", "l2"}, "pixel loss");
  s.field("concept", concept, "weight of the multi-label concept contrastive loss");
  s.choice("concept_form", concept_form, {"token", "pooled", "spread"},
           "concept loss: token (each phrase picks its token by a soft maximum), pooled "
           "(GroupViT, one pooled vector per image) or spread (released per-token form)");
  s.field("concept_softness", concept_softness,
          "token form: temperature of the soft maximum over an image's tokens");
  s.field("caption", caption, "weight of the image-caption InfoNCE loss");
  s.field("perceptual", perceptual, "weight of LPIPS (needs lpips_weights)");
  s.field("lpips_weights", lpips_weights, "LPIPS-VGG16 safetensors file");
  s.field("gan", gan, "weight of the PatchGAN generator loss (times the adaptive weight)");
  s.field("disc_start", disc_start, "step at which the GAN loss switches on");
  s.field("disc_lr_scale", disc_lr_scale, "discriminator learning rate / generator's");
}

void Stage1LossConfig::validate(const std::string& p) const {
  for (double w : {reconstruction, concept, caption, perceptual, gan}) {
    if (!(w >= 0)) config::fail(p, "loss weights must be >= 0");
  }
  if (!(concept_softness > 0)) config::fail(config::join(p, "concept_softness"), "must be > 0");
  if (perceptual > 0 && lpips_weights.empty()) {
    config::fail(config::join(p, "lpips_weights"), "needed when perceptual > 0");
  }
}

void Stage1LossConfig::check_files(const std::string& p) const {
  if (!lpips_weights.empty() && !std::filesystem::is_regular_file(lpips_weights)) {
    config::fail(config::join(p, "lpips_weights"), "'" + lpips_weights + "' is not a file");
  }
}

void Stage1TrainConfig::describe(config::Schema& s) {
  TrainConfig::describe(s);
  s.choice("tower_gradient", tower_gradient, {"all", "alignment", "reconstruction"},
           "what a trainable vision tower learns from: every loss, only the alignment losses "
           "(concept, caption; a SigLIP-like encoder) or only the reconstruction side; the "
           "merger and the other parts still learn from every loss");
  s.section("loss", loss, "loss weights");
}

void Stage1DataConfig::describe(config::Schema& s) {
  DataConfig::describe(s);
  s.field("max_phrases", max_phrases, "concept phrases used per image");
}

void Stage1DataConfig::validate(const std::string& path) const {
  DataConfig::validate(path);
  if (max_phrases < 1) config::fail(config::join(path, "max_phrases"), "must be >= 1");
}

}  // namespace setok::train
