// setok_train: stage 1 — train the SeTok tokenizer and detokenizer.
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/config/config.h"
#include "setok/io/json.h"
#include "setok/runtime/app.h"
#include "setok/train/stage1.h"
#include "setok/train/stage1_config.h"

int main(int argc, char** argv) {
  CLI::App app{
      "setok_train: stage 1 — train the SeTok tokenizer and detokenizer on image-text pairs "
      "(reconstruction, concept contrastive, optional LPIPS / PatchGAN), evaluate on held-out "
      "data"};
  setok::apps::CommonFlags common;
  setok::apps::add_common_flags(app, common);
  setok::apps::ConfigFlags config_flags;
  setok::apps::add_config_flags(app, config_flags, setok::train::Stage1Config{}, /*required=*/true);
  setok::apps::TrainingFlags training;
  setok::apps::add_training_flags(app, training);
  CLI11_PARSE(app, argc, argv);

  return setok::runtime::run_app("setok_train", [&] {
    setok::train::Stage1Config cfg;
    const c10::Device device =
        setok::apps::load_and_apply(cfg, config_flags, common, cfg.runtime, cfg.log);
    std::filesystem::create_directories(cfg.train.run_dir);
    cfg.log.apply(0, 1, std::filesystem::path(cfg.train.run_dir) / "train.log");
    spdlog::info("setok_train: {} on {} ({} steps, batch {})", config_flags.config, device.str(),
                 cfg.train.steps, cfg.train.batch_size);
    setok::train::Stage1Recipe recipe(cfg, device);
    setok::train::TrainerOptions options;
    options.train = cfg.train;
    options.data = cfg.data;
    options.log_every = cfg.log.every;
    options.tensorboard = cfg.log.tensorboard;
    options.seed = static_cast<uint64_t>(cfg.runtime.seed);
    options.device = device;
    options.resolved_config = setok::config::to_json(cfg);
    options.stop_after = training.stop_after;
    setok::train::Trainer trainer(recipe, options);
    if (training.eval_only) {
      trainer.evaluate_only();
    } else {
      trainer.fit(training.resume);
    }
    const auto eval = setok::io::read_json(trainer.run_dir() / "eval.json");
    std::cout << "evaluation (" << (trainer.run_dir() / "eval.json").string()
              << ", first -> last):\n"
              << setok::train::Stage1Recipe::summary(eval["first"], eval["last"]);
    return 0;
  });
}
