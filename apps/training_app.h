#pragma once
// The shared front end of the training apps (setok_train, setok_pretrain, setok_finetune):
// flags, the registered recipe's config, the recipe on the training engine, the evaluation
// summary; `--dry-run` where the recipe can plan a run from its config alone.
#include <string>

namespace setok::apps {

int run_training_app(int argc, char** argv, const std::string& app_name,
                     const std::string& recipe_name, const std::string& description);

}  // namespace setok::apps
