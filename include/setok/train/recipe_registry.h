#pragma once
// Training recipes registered by name. An entry says how to make the stage's config root (the
// sections it owns, with their defaults), how to build its Recipe from a loaded config, how to
// summarise its evaluation and, optionally, how to plan a run from the config alone
// (`--dry-run`). The training apps are one function over this table (apps/training_app.cpp);
// a new stage registers itself and gets the engine, the flags and the checkpoints for free.
//
// Built in: "stage1" (SeTok tokenizer + detokenizer, `setok_train`) and "setokim" (stages 2 and
// 3, `setok_pretrain` / `setok_finetune`; which one is the config's train.trainable).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "setok/io/json.h"
#include "setok/train/run_config.h"
#include "setok/train/trainer.h"

namespace setok::train {

struct RecipeKind {
  std::string name;
  std::string description;
  // A fresh config root holding the defaults.
  std::function<std::unique_ptr<RunConfig>()> make_config;
  // The recipe for a loaded, validated config (a root made by make_config).
  std::function<std::unique_ptr<Recipe>(const RunConfig&, const c10::Device&)> make_recipe;
  // Lines comparing the first and last evaluations (eval.json's "first" / "last").
  std::function<std::string(const io::Json& first, const io::Json& last)> summary;
  // The dry-run report (parameters, memory plan) without loading weights; empty = none.
  std::function<std::string(const RunConfig&)> plan;
};

// Adds a recipe; a duplicate or empty name, or a missing make_config / make_recipe / summary,
// is an error.
void register_recipe(RecipeKind kind);
// The recipe called `name`; an unknown name is an error listing the registered ones.
const RecipeKind& find_recipe(const std::string& name);
// Registered names, sorted.
std::vector<std::string> recipe_names();

// The engine's options from a run config: train / data sections, logging, seed, device and the
// resolved config written beside the run.
TrainerOptions trainer_options(const RunConfig& config, const c10::Device& device);

}  // namespace setok::train
