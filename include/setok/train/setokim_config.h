#pragma once
// The root config of Setokim runs (stages 2 and 3: `setok_pretrain`, `setok_finetune`):
//   { "runtime", "log",
//     "model": { "setok_checkpoint", "vision", "tokenizer", "detokenizer", "llm", "projectors",
//                "diffusion", "image_span" },
//     "data": { engine keys, "model_max_length", "cfg_dropout", "pair_tasks" },
//     "train": { engine keys, "trainable", "tune_mm_in_adapter", "tune_mm_out_adapter",
//                "mm_projector_lr", "init_from", "text_weight", "diffusion_weight" } }
// `model` is mllm::SetokimModelSection (mllm/setokim_build.h).
#include <string>
#include <vector>

#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/mllm/setokim_build.h"
#include "setok/train/run_config.h"
#include "setok/train/train_config.h"

namespace setok::train {

struct SetokimDataConfig : DataConfig {
  int64_t model_max_length = 2048;  // longer samples are cut after their last image or skipped
  double cfg_dropout = 0.1;         // generation captions / edit instructions dropped (guidance)
  std::vector<std::string> pair_tasks = {"caption", "generation"};  // what a pair record teaches
  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
};

struct SetokimTrainConfig : TrainConfig {
  // projectors: mm projectors + special-token rows + diffusion head, LLM frozen (stage 2);
  // full: everything but SeTok (tiny models); lora: LoRA adapters on the LLM + projectors + head
  // (stage 3).
  std::string trainable = "projectors";
  bool tune_mm_in_adapter = true;
  bool tune_mm_out_adapter = true;
  double mm_projector_lr = 0.0;  // learning rate of the projectors and head; 0 = train.lr
  std::string init_from;         // a stage-2 run / step folder whose trained weights start this run
  double text_weight = 1.0;
  double diffusion_weight = 1.0;
  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
};

struct SetokimConfig
    : StageConfig<mllm::SetokimModelSection, SetokimDataConfig, SetokimTrainConfig> {
  // What builds the run's module beyond `model`: train.init_from, and LoRA when it trains.
  mllm::SetokimStart start() const;
  void describe(config::Schema& s) override;
};

}  // namespace setok::train
