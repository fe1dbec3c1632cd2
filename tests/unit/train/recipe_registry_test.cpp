// The recipe registry: built-in stages by name, errors for unknown / duplicate / incomplete
// entries, the engine options a run config yields, and the Setokim evaluation summary.
#include "setok/train/recipe_registry.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "errors.h"
#include "setok/config/config.h"
#include "setok/train/setokim_config.h"
#include "setok/train/setokim_recipe.h"
#include "setok/train/stage1_config.h"

namespace setok::train {
namespace {

using test::error_of;

TEST(RecipeRegistry, BuiltInStagesOwnTheirConfigSections) {
  const auto names = recipe_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "stage1"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "setokim"), names.end());

  const RecipeKind& stage1 = find_recipe("stage1");
  const auto s1 = stage1.make_config();
  ASSERT_NE(dynamic_cast<Stage1Config*>(s1.get()), nullptr);
  const io::Json j1 = config::to_json(*s1);
  for (const char* section : {"runtime", "log", "model", "data", "train"})
    EXPECT_TRUE(j1.contains(section)) << section;
  EXPECT_TRUE(j1["train"].contains("tower_gradient"));  // stage 1's own train key
  EXPECT_FALSE(stage1.plan);                            // no dry run for stage 1

  const RecipeKind& setokim = find_recipe("setokim");
  const auto s2 = setokim.make_config();
  ASSERT_NE(dynamic_cast<SetokimConfig*>(s2.get()), nullptr);
  const io::Json j2 = config::to_json(*s2);
  EXPECT_TRUE(j2["train"].contains("trainable"));
  EXPECT_FALSE(j2["train"].contains("tower_gradient"));
  ASSERT_TRUE(setokim.plan);
  // The engine's sections are the stage's own, extended ones.
  auto* typed = dynamic_cast<SetokimConfig*>(s2.get());
  EXPECT_EQ(&s2->train_section(), static_cast<TrainConfig*>(&typed->train));
  EXPECT_EQ(&s2->data_section(), static_cast<DataConfig*>(&typed->data));
}

TEST(RecipeRegistry, UnknownNameListsTheRegisteredOnes) {
  const std::string e = error_of([] { find_recipe("stage9"); });
  EXPECT_NE(e.find("unknown recipe 'stage9'"), std::string::npos) << e;
  EXPECT_NE(e.find("setokim"), std::string::npos) << e;
  EXPECT_NE(e.find("stage1"), std::string::npos) << e;
}

TEST(RecipeRegistry, RegisterFindDuplicateAndIncompleteEntries) {
  RecipeKind k;
  k.name = "test_registry_stage";
  k.make_config = [] { return std::make_unique<Stage1Config>(); };
  k.make_recipe = [](const RunConfig&, const c10::Device&) -> std::unique_ptr<Recipe> {
    return nullptr;
  };
  k.summary = [](const io::Json&, const io::Json&) { return std::string("custom"); };
  register_recipe(k);
  EXPECT_EQ(find_recipe("test_registry_stage").summary({}, {}), "custom");
  EXPECT_NE(error_of([&] { register_recipe(k); }).find("already registered"), std::string::npos);

  RecipeKind incomplete = k;
  incomplete.name = "test_registry_incomplete";
  incomplete.make_recipe = nullptr;
  EXPECT_NE(error_of([&] { register_recipe(incomplete); }).find("needs make_config"),
            std::string::npos);
  EXPECT_NE(error_of([] { find_recipe("test_registry_incomplete"); }).find("unknown recipe"),
            std::string::npos);
  RecipeKind unnamed = k;
  unnamed.name.clear();
  EXPECT_NE(error_of([&] { register_recipe(unnamed); }).find("needs a name"), std::string::npos);
}

TEST(RecipeRegistry, WrongConfigRootIsAnError) {
  Stage1Config stage1;
  const std::string e =
      error_of([&] { find_recipe("setokim").make_recipe(stage1, c10::Device(c10::kCPU)); });
  EXPECT_NE(e.find("not this recipe's config root"), std::string::npos) << e;
}

TEST(RecipeRegistry, TrainerOptionsComeFromTheRunConfig) {
  SetokimConfig cfg;
  cfg.train.steps = 7;
  cfg.train.batch_size = 3;
  cfg.train.run_dir = "runs/x";
  cfg.data.workers = 5;
  cfg.runtime.seed = 42;
  cfg.log.every = 3;
  cfg.log.tensorboard = false;
  const TrainerOptions o = trainer_options(cfg, c10::Device(c10::kCPU));
  EXPECT_EQ(o.train.steps, 7);
  EXPECT_EQ(o.train.batch_size, 3);
  EXPECT_EQ(o.train.run_dir, "runs/x");
  EXPECT_EQ(o.data.workers, 5);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.log_every, 3);
  EXPECT_FALSE(o.tensorboard);
  EXPECT_EQ(o.resolved_config["train"]["steps"], 7);
  EXPECT_EQ(o.resolved_config["train"]["trainable"], cfg.train.trainable);
}

TEST(RecipeRegistry, SetokimSummaryComparesEachSetsLosses) {
  const io::Json first = {{"step", 0},
                          {"pairs/caption", {{"loss_text", 4.0}}},
                          {"pairs/generation", {{"loss_text", 2.0}, {"loss_diffusion", 1.0}}}};
  const io::Json last = {{"step", 9},
                         {"pairs/caption", {{"loss_text", 1.0}}},
                         {"pairs/generation", {{"loss_text", 1.0}, {"loss_diffusion", 0.5}}}};
  const std::string s = find_recipe("setokim").summary(first, last);
  EXPECT_NE(s.find("pairs/caption"), std::string::npos) << s;
  EXPECT_NE(s.find("4.0000 -> 1.0000 (25% of the first)"), std::string::npos) << s;
  EXPECT_NE(s.find("loss_diffusion  1.0000 -> 0.5000 (50% of the first)"), std::string::npos) << s;
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 3);  // caption text, generation text + diff
}

}  // namespace
}  // namespace setok::train
