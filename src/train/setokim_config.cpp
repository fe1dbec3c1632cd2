#include "setok/train/setokim_config.h"

#include <algorithm>
#include <filesystem>

#include "setok/runtime/error.h"

namespace setok::train {

void SetokimDataConfig::describe(config::Schema& s) {
  DataConfig::describe(s);
  s.field("model_max_length", model_max_length,
          "LLM positions per sample: text after the last image is cut; a sample whose images do "
          "not fit is skipped (counted)");
  s.field("cfg_dropout", cfg_dropout,
          "probability that a generation sample's caption, or an edit sample's instruction (the "
          "source image kept), is dropped: trains the unconditional partner of classifier-free "
          "guidance");
  s.field("pair_tasks", pair_tasks,
          "what a pair record teaches: caption (image -> caption) and / or generation (caption "
          "-> image)");
}

void SetokimDataConfig::validate(const std::string& p) const {
  DataConfig::validate(p);
  if (model_max_length < 8) config::fail(config::join(p, "model_max_length"), "must be >= 8");
  if (cfg_dropout < 0 || cfg_dropout >= 1)
    config::fail(config::join(p, "cfg_dropout"), "must be in [0, 1)");
  if (pair_tasks.empty()) config::fail(config::join(p, "pair_tasks"), "needs a task");
  for (size_t i = 0; i < pair_tasks.size(); ++i) {
    if (pair_tasks[i] != "caption" && pair_tasks[i] != "generation") {
      config::fail(config::join(config::join(p, "pair_tasks"), std::to_string(i)),
                   "must be caption or generation, got '" + pair_tasks[i] + "'");
    }
  }
}

void SetokimTrainConfig::describe(config::Schema& s) {
  TrainConfig::describe(s);
  s.choice(
      "trainable", trainable, {"projectors", "full", "lora"},
      "what trains: projectors (+ special-token rows + diffusion head; stage 2), full "
      "(everything but SeTok; tiny models), lora (LoRA adapters + projectors + head; stage 3)");
  s.field("tune_mm_in_adapter", tune_mm_in_adapter, "train mm_in_projector");
  s.field("tune_mm_out_adapter", tune_mm_out_adapter, "train mm_out_projector");
  s.field("mm_projector_lr", mm_projector_lr,
          "learning rate of the projectors and the diffusion head (0 = train.lr)");
  s.field("init_from", init_from,
          "stage-2 run or step folder whose trained weights (projectors, special rows, head; "
          "the LLM too when it trained) start this run");
  s.field("text_weight", text_weight, "weight of the text cross-entropy");
  s.field("diffusion_weight", diffusion_weight, "weight of the diffusion loss");
}

void SetokimTrainConfig::validate(const std::string& p) const {
  TrainConfig::validate(p);
  if (mm_projector_lr < 0) config::fail(config::join(p, "mm_projector_lr"), "must be >= 0");
  if (!(text_weight >= 0) || !(diffusion_weight >= 0)) config::fail(p, "loss weights must be >= 0");
}

mllm::SetokimStart SetokimConfig::start() const {
  return {train.init_from, train.trainable == "lora"};
}

void SetokimConfig::describe(config::Schema& s) {
  s.section("runtime", runtime, "device, threads, seed");
  s.section("log", log, "logging");
  s.section("dist", dist, "multi-process training (the launcher's environment says who is who)");
  s.section("model", model, "SeTok (frozen), the LLM, projectors and diffusion head");
  s.section("data", data, "datasets and loader");
  s.section("train", train, "optimisation, checkpoints, evaluation, trainable set");
}

}  // namespace setok::train
