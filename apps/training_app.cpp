#include "training_app.h"

#include <algorithm>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/config/config.h"
#include "setok/dist/dist_env.h"
#include "setok/dist/process_group.h"
#include "setok/io/json.h"
#include "setok/runtime/app.h"
#include "setok/runtime/seed.h"
#include "setok/runtime/threads.h"
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
    // Who this process is: torchrun / Slurm / scripts/launch.sh variables (none: one process).
    const dist::DistEnv env = dist::read_dist_env();
    c10::Device device = load_and_apply(*cfg, config_flags, common, cfg->runtime, cfg->log);
    if (env.distributed()) {
      // One device per local rank; the node's cores shared between its ranks.
      if (device.is_cuda()) device = c10::Device(c10::kCUDA, env.local_rank);
      if (cfg->runtime.threads == 0)
        runtime::set_num_threads(std::max(1, runtime::hardware_threads() / env.local_world));
    }
    const train::TrainConfig& t = cfg->train_section();
    std::filesystem::create_directories(t.run_dir);
    const std::string log_name =
        env.rank == 0 ? "train.log" : "train.rank" + std::to_string(env.rank) + ".log";
    cfg->log.apply(env.rank, env.world, std::filesystem::path(t.run_dir) / log_name);
    spdlog::info("{}: {} on {} (recipe {}, {} steps, batch {}, {})", app_name, config_flags.config,
                 device.str(), kind.name, t.steps, t.batch_size, dist::describe(env));
    std::shared_ptr<dist::ProcessGroup> group;
    if (env.distributed()) {
      dist::GroupOptions go;
      go.backend = cfg->dist.backend;
      go.timeout_s = cfg->dist.timeout_s;
      group = dist::ProcessGroup::create(env, device, go);
    }
    const std::unique_ptr<train::Recipe> recipe = kind.make_recipe(*cfg, device);
    train::TrainerOptions options = train::trainer_options(*cfg, device);
    options.group = group;
    options.bucket_mb = cfg->dist.bucket_mb;
    options.overlap = cfg->dist.overlap;
    options.stop_after = training.stop_after;
    train::Trainer trainer(*recipe, options);
    if (training.eval_only) {
      trainer.evaluate_only();
    } else {
      trainer.fit(training.resume);
    }
    if (env.rank != 0) return 0;  // rank 0 reports
    const io::Json doc = io::read_json(trainer.run_dir() / "eval.json");
    std::cout << "evaluation (" << (trainer.run_dir() / "eval.json").string()
              << ", first -> last):\n"
              << kind.summary(doc["first"], doc["last"]);
    return 0;
  });
}

}  // namespace setok::apps
