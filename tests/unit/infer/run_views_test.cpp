// Inference reads a training run's config through its views: the model and what builds and asks
// it come out as training resolved them, the training-only keys are read past in the file and
// refused on the command line, and the trained answer styles follow the mixture.
#include <gtest/gtest.h>

#include <filesystem>

#include "errors.h"
#include "setok/config/config.h"
#include "setok/infer/run_views.h"
#include "setok/io/json.h"
#include "setok/train/setokim_config.h"
#include "setok/train/stage1_config.h"
#include "temp_dir.h"

namespace setok::infer {
namespace {

namespace fs = std::filesystem;

const fs::path kSetokimConfig = SETOK_SOURCE_DIR "/configs/setokim_tiny_finetune.json";
const fs::path kStage1Config = SETOK_SOURCE_DIR "/configs/setok_tiny.json";

TEST(RunViews, SetokimViewReadsTheModelAndStartTrainingResolves) {
  train::SetokimConfig trained;
  config::load(trained, kSetokimConfig, {"train.init_from=runs/x", "train.trainable=lora"});
  SetokimRunView view;
  config::load(view, kSetokimConfig, {"train.init_from=runs/x", "train.trainable=lora"});
  EXPECT_EQ(config::to_json(view.model), config::to_json(trained.model));
  EXPECT_EQ(config::to_json(view.runtime), config::to_json(trained.runtime));
  EXPECT_EQ(view.start().init_from, "runs/x");
  EXPECT_TRUE(view.start().lora);
  EXPECT_EQ(view.start().init_from, trained.start().init_from);
  EXPECT_EQ(view.start().lora, trained.start().lora);
}

TEST(RunViews, SetokViewReadsTheStageOneModel) {
  train::Stage1Config trained;
  config::load(trained, kStage1Config, {"model.tokenizer.k=7"});
  SetokRunView view;
  config::load(view, kStage1Config, {"model.tokenizer.k=7"});
  EXPECT_EQ(config::to_json(view.model), config::to_json(trained.model));
  EXPECT_EQ(view.model.tokenizer.k, 7);
}

// A resolved run config (every training key written out) loads; a key the view does not read is
// refused on the command line, and the model stays strict.
TEST(RunViews, TrainingKeysAreReadPastInTheFileOnly) {
  test::TempDir dir;
  train::SetokimConfig trained;
  config::load(trained, kSetokimConfig);
  config::write_resolved(trained, dir / "config.resolved.json");
  SetokimRunView view;
  config::load(view, dir / "config.resolved.json");
  EXPECT_EQ(config::to_json(view.model), config::to_json(trained.model));
  EXPECT_NE(test::error_of([&] {
              SetokimRunView v;
              config::load(v, kSetokimConfig, {"train.steps=5"});
            }).find("train.steps: unknown key"),
            std::string::npos);
  io::Json json = io::read_json(dir / "config.resolved.json");
  json["model"]["image_spann"] = "ar";
  io::write_json(dir / "typo.json", json);
  EXPECT_NE(test::error_of([&] {
              SetokimRunView v;
              config::load(v, dir / "typo.json");
            }).find("model.image_spann: unknown key (did you mean 'image_span'?)"),
            std::string::npos);
}

// The answer styles a run's data posed questions in.
TEST(RunViews, TrainedAnswerStylesFromTheDataEntries) {
  const auto styles = [&](const std::vector<std::string>& sets) {
    SetokimRunView view;
    config::load(view, kSetokimConfig, sets);
    return view.trained_answer_styles();
  };
  using data::AnswerStyle;
  // The demo mixture: conversations (as written), edits and pairs (no questions).
  EXPECT_EQ(styles({}), std::vector<AnswerStyle>{AnswerStyle::kPlain});
  // A VQA type in its answer style beside the conversations; a muted entry does not count.
  EXPECT_EQ(styles({"data.train.1.type=gqa", "data.train.1.answer_style=short"}),
            (std::vector<AnswerStyle>{AnswerStyle::kPlain, AnswerStyle::kShort}));
  EXPECT_EQ(styles({"data.train.0.type=gqa", "data.train.0.answer_style=short"}),
            std::vector<AnswerStyle>{AnswerStyle::kShort});
  EXPECT_EQ(styles({"data.train.0.multiple=0"}), std::vector<AnswerStyle>{});
  EXPECT_EQ(styles({"data.train.0.type=aokvqa", "data.train.0.answer_style=multiple_choice"}),
            std::vector<AnswerStyle>{AnswerStyle::kMultipleChoice});
}

}  // namespace
}  // namespace setok::infer
