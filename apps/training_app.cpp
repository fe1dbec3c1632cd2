#include "training_app.h"

#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/config/config.h"
#include "setok/io/json.h"
#include "setok/runtime/app.h"
#include "setok/runtime/seed.h"
#include "setok/train/recipe_registry.h"

namespace setok::apps {

int run_training_app(int argc, char** argv, const std::string& app_name,
                     const std::string& recipe_name, const std::string& description) {
  const train::RecipeKind& kind = train::find_recipe(recipe_name);
  const std::unique_ptr<train::RunConfig> defaults = kind.make_config();
  CLI::App app{description};
  CommonFlags common;
  add_common_flags(app, common);
  ConfigFlags config_flags;
  add_config_flags(app, config_flags, *defaults, /*required=*/true);
  TrainingFlags training;
  add_training_flags(app, training);
  bool dry_run = false;
  if (kind.plan) {
    app.add_flag("--dry-run", dry_run,
                 "print the parameters (total and trainable, per part) and the memory plan from "
                 "the config alone, without loading weights, and exit");
  }
  if (const int code = parse_command_line(app, app_name.c_str(), argc, argv); code >= 0)
    return code;

  return runtime::run_app(app_name, [&] {
    const std::unique_ptr<train::RunConfig> cfg = kind.make_config();
    if (dry_run) {
      // The architecture only: no file needs to exist.
      config::load(*cfg, config_flags.config, config_flags.sets);
      runtime::seed_all(static_cast<uint64_t>(cfg->runtime.seed));  // no device needed
      std::cout << kind.plan(*cfg);
      return 0;
    }
    const c10::Device device = load_and_apply(*cfg, config_flags, common, cfg->runtime, cfg->log);
    const train::TrainConfig& t = cfg->train_section();
    std::filesystem::create_directories(t.run_dir);
    cfg->log.apply(0, 1, std::filesystem::path(t.run_dir) / "train.log");
    spdlog::info("{}: {} on {} (recipe {}, {} steps, batch {})", app_name, config_flags.config,
                 device.str(), kind.name, t.steps, t.batch_size);
    const std::unique_ptr<train::Recipe> recipe = kind.make_recipe(*cfg, device);
    train::TrainerOptions options = train::trainer_options(*cfg, device);
    options.stop_after = training.stop_after;
    train::Trainer trainer(*recipe, options);
    if (training.eval_only) {
      trainer.evaluate_only();
    } else {
      trainer.fit(training.resume);
    }
    const io::Json doc = io::read_json(trainer.run_dir() / "eval.json");
    std::cout << "evaluation (" << (trainer.run_dir() / "eval.json").string()
              << ", first -> last):\n"
              << kind.summary(doc["first"], doc["last"]);
    return 0;
  });
}

}  // namespace setok::apps
