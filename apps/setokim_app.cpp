#include "setokim_app.h"

#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/config/config.h"
#include "setok/runtime/app.h"
#include "setok/runtime/seed.h"
#include "setok/train/setokim_config.h"
#include "setok/train/setokim_plan.h"
#include "setok/train/setokim_recipe.h"

namespace setok::apps {

int run_setokim_app(int argc, char** argv, const std::string& name,
                    const std::string& description) {
  CLI::App app{description};
  CommonFlags common;
  add_common_flags(app, common);
  ConfigFlags config_flags;
  add_config_flags(app, config_flags, train::SetokimConfig{}, /*required=*/true);
  TrainingFlags training;
  add_training_flags(app, training);
  bool dry_run = false;
  app.add_flag("--dry-run", dry_run,
               "print the parameters (total and trainable, per part) and the memory plan from "
               "the config alone, without loading weights, and exit");
  CLI11_PARSE(app, argc, argv);

  return runtime::run_app(name, [&] {
    train::SetokimConfig cfg;
    if (dry_run) {
      // The architecture only: no file needs to exist.
      config::load(cfg, config_flags.config, config_flags.sets);
      runtime::seed_all(static_cast<uint64_t>(cfg.runtime.seed));  // no device needed
      std::cout << train::plan_setokim(cfg).text();
      return 0;
    }
    const c10::Device device = load_and_apply(cfg, config_flags, common, cfg.runtime, cfg.log);
    std::filesystem::create_directories(cfg.train.run_dir);
    cfg.log.apply(0, 1, std::filesystem::path(cfg.train.run_dir) / "train.log");
    spdlog::info("{}: {} on {} ({} steps, batch {}, trainable {})", name, config_flags.config,
                 device.str(), cfg.train.steps, cfg.train.batch_size, cfg.train.trainable);
    train::SetokimRecipe recipe(cfg, device);
    train::TrainerOptions options;
    options.train = cfg.train;
    options.data = cfg.data;
    options.log_every = cfg.log.every;
    options.tensorboard = cfg.log.tensorboard;
    options.seed = static_cast<uint64_t>(cfg.runtime.seed);
    options.device = device;
    options.resolved_config = config::to_json(cfg);
    options.stop_after = training.stop_after;
    train::Trainer trainer(recipe, options);
    if (training.eval_only) {
      trainer.evaluate_only();
    } else {
      trainer.fit(training.resume);
    }
    const io::Json doc = io::read_json(trainer.run_dir() / "eval.json");
    std::cout << "evaluation (" << (trainer.run_dir() / "eval.json").string()
              << ", first -> last):\n";
    for (const auto& [set, metrics] : doc["last"].items()) {
      if (!metrics.is_object()) continue;
      for (const char* key : {"loss_text", "loss_diffusion"}) {
        if (!metrics.contains(key) || !doc["first"].contains(set)) continue;
        const double a = doc["first"][set].value(key, 0.0), b = metrics[key].get<double>();
        std::printf("%-28s %-15s %.4f -> %.4f (%.0f%% of the first)\n", set.c_str(), key, a, b,
                    a > 0 ? 100.0 * b / a : 0.0);
      }
    }
    return 0;
  });
}

}  // namespace setok::apps
