#pragma once
// What the inference commands read of a training run's config (the run's resolved copy, or a
// training config given with --config): runtime, log, the model, and of the training sections
// only what says how to build and ask the trained model. Every other key of `dist`, `data` and
// `train` belongs to training and is read past, so inference needs nothing from train/.
#include <optional>
#include <string>
#include <vector>

#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/data/vqa_readers.h"
#include "setok/mllm/setok_model_section.h"
#include "setok/mllm/setokim_build.h"

namespace setok::infer {

// A training section whose keys inference does not read.
struct TrainingOnlySection : config::Section {
  void describe(config::Schema&) override {}
  bool reads_past_undeclared_keys() const override { return true; }
};

// A stage-1 (SeTok) run: setok_infer tokenize and reconstruct.
struct SetokRunView : config::Section {
  config::RuntimeConfig runtime;
  config::LogConfig log;
  mllm::SetokModelSection model;
  TrainingOnlySection dist, data, train;
  void describe(config::Schema& s) override;
};

// One training dataset of a Setokim run, as far as the questions it posed.
struct TrainedDataset : TrainingOnlySection {
  std::string type = "pair";
  std::string answer_style = "short";
  double multiple = 1.0;
  void describe(config::Schema& s) override;
  // The style this dataset posed its questions in: answer_style for the VQA types, plain for
  // conversation layouts (they ask as written); none for data that asks nothing (pairs, edits).
  std::optional<data::AnswerStyle> question_style() const;
};

struct TrainedMixture : TrainingOnlySection {
  std::vector<TrainedDataset> train;
  void describe(config::Schema& s) override;
};

struct SetokimStartSection : TrainingOnlySection {
  std::string init_from;
  std::string trainable = "projectors";
  void describe(config::Schema& s) override;
};

// A Setokim run (stages 2 and 3): vqa, caption, generate, edit, chat with images, demo-eval.
struct SetokimRunView : config::Section {
  config::RuntimeConfig runtime;
  config::LogConfig log;
  mllm::SetokimModelSection model;
  TrainingOnlySection dist;
  TrainedMixture data;
  SetokimStartSection train;
  void describe(config::Schema& s) override;
  // What builds the trained module beyond `model`: train.init_from, LoRA when it trained.
  mllm::SetokimStart start() const;
  // The answer styles the training mixture posed questions in, first seen first (datasets with
  // multiple 0 do not count).
  std::vector<data::AnswerStyle> trained_answer_styles() const;
};

}  // namespace setok::infer
