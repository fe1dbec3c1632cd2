#pragma once
// The root config of stage-1 runs (training and the benchmark; inference commands read a run's
// resolved copy through infer::SetokRunView):
//   { "runtime", "log", "model": { "vision", "tokenizer", "detokenizer", "text" }, "data",
//     "train" }
// (`dist` is added with multi-process training.) It composes the sections of the areas stage 1
// uses; config/ itself knows no domain.
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/mllm/setok_model_section.h"
#include "setok/train/run_config.h"
#include "setok/train/stage1_model.h"
#include "setok/train/train_config.h"

namespace setok::train {

// `train.loss`: the weights of stage 1's loss terms (and their options).
struct Stage1LossConfig : config::Section {
  double reconstruction = 1.0;
  std::string reconstruction_kind =
      "l2";              // l1 | l2 (pixels head; the diffusion head uses its own loss)
  double concept = 0.1;  // multi-label concept contrastive
  std::string concept_form = "token";  // token | pooled | spread (losses/contrastive.h)
  double concept_softness = 0.05;      // token form: temperature of the soft maximum
  double caption = 0.0;                // image-caption InfoNCE on pooled tokens
  double perceptual = 0.0;             // LPIPS (needs lpips_weights)
  std::string lpips_weights;
  double gan = 0.0;  // PatchGAN generator loss (adaptive weight times this)
  int64_t disc_start = 2000;
  double disc_lr_scale = 1.0;

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;
};

// `train`: the engine's keys plus stage 1's.
struct Stage1TrainConfig : TrainConfig {
  std::string tower_gradient =
      "all";  // all | alignment | reconstruction (a trainable tower's losses)
  Stage1LossConfig loss;
  void describe(config::Schema& s) override;
};

// `data`: the engine's keys plus stage 1's.
struct Stage1DataConfig : DataConfig {
  int64_t max_phrases = 8;  // concept phrases used per image (the first ones)
  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
};

// The options of stage 1's module from the run's `model` section.
inline Stage1ModelOptions stage1_model_options(const mllm::SetokModelSection& m) {
  return {m.vision, m.tokenizer, m.detokenizer, m.text};
}

struct Stage1Config : StageConfig<mllm::SetokModelSection, Stage1DataConfig, Stage1TrainConfig> {
  void describe(config::Schema& s) override {
    s.section("runtime", runtime, "device, threads, seed");
    s.section("log", log, "logging");
    s.section("dist", dist, "multi-process training (the launcher's environment says who is who)");
    s.section("model", model, "the SeTok model");
    s.section("data", data, "datasets and loader");
    s.section("train", train, "optimisation, checkpoints, evaluation, losses");
  }
};

}  // namespace setok::train
