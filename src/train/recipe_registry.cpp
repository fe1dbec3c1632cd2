#include "setok/train/recipe_registry.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "setok/config/config.h"
#include "setok/runtime/error.h"
#include "setok/train/setokim_config.h"
#include "setok/train/setokim_plan.h"
#include "setok/train/setokim_recipe.h"
#include "setok/train/stage1.h"
#include "setok/train/stage1_config.h"

namespace setok::train {
namespace {

// A registered config root is always the kind's own make_config() type.
template <typename Config>
const Config& as(const RunConfig& config, const std::string& recipe) {
  const auto* typed = dynamic_cast<const Config*>(&config);
  if (!typed) throw Error("recipe '" + recipe + "': the config is not this recipe's config root");
  return *typed;
}

RecipeKind stage1_kind() {
  RecipeKind k;
  k.name = "stage1";
  k.description = "SeTok tokenizer + detokenizer (reconstruction, concept alignment, GAN)";
  k.make_config = [] { return std::make_unique<Stage1Config>(); };
  k.make_recipe = [](const RunConfig& c, const c10::Device& d) -> std::unique_ptr<Recipe> {
    return std::make_unique<Stage1Recipe>(as<Stage1Config>(c, "stage1"), d);
  };
  k.summary = Stage1Recipe::summary;
  return k;
}

RecipeKind setokim_kind() {
  RecipeKind k;
  k.name = "setokim";
  k.description = "Setokim stages 2 and 3 (train.trainable: projectors | full | lora)";
  k.make_config = [] { return std::make_unique<SetokimConfig>(); };
  k.make_recipe = [](const RunConfig& c, const c10::Device& d) -> std::unique_ptr<Recipe> {
    return std::make_unique<SetokimRecipe>(as<SetokimConfig>(c, "setokim"), d);
  };
  k.summary = SetokimRecipe::summary;
  k.plan = [](const RunConfig& c) { return plan_setokim(as<SetokimConfig>(c, "setokim")).text(); };
  return k;
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, RecipeKind> kinds;
};

void add(Registry& r, RecipeKind kind) {
  if (kind.name.empty()) throw Error("register_recipe: a recipe needs a name");
  if (!kind.make_config || !kind.make_recipe || !kind.summary)
    throw Error("register_recipe: recipe '" + kind.name +
                "' needs make_config, make_recipe and summary");
  if (r.kinds.count(kind.name))
    throw Error("register_recipe: a recipe called '" + kind.name + "' is already registered");
  const std::string name = kind.name;
  r.kinds.emplace(name, std::move(kind));
}

Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry;  // never destroyed: apps may look recipes up during exit
    add(*made, stage1_kind());
    add(*made, setokim_kind());
    return made;
  }();
  return *r;
}

std::string joined_names(const Registry& r) {
  std::string s;
  for (const auto& [name, kind] : r.kinds) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace

void register_recipe(RecipeKind kind) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  add(r, std::move(kind));
}

const RecipeKind& find_recipe(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.kinds.find(name);
  if (it == r.kinds.end())
    throw Error("unknown recipe '" + name + "' (registered: " + joined_names(r) + ")");
  return it->second;  // std::map nodes never move
}

std::vector<std::string> recipe_names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, kind] : r.kinds) names.push_back(name);
  return names;
}

TrainerOptions trainer_options(const RunConfig& config, const c10::Device& device) {
  TrainerOptions o;
  o.train = config.train_section();
  o.data = config.data_section();
  o.log_every = config.log.every;
  o.tensorboard = config.log.tensorboard;
  o.seed = static_cast<uint64_t>(config.runtime.seed);
  o.device = device;
  o.resolved_config = config::to_json(config);
  return o;
}

}  // namespace setok::train
