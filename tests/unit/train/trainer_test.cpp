// The stage-agnostic engine on a toy recipe: declared optimizers, the collate and throughput
// hooks, checkpoints that hold only what trains plus a reference to the frozen base.
#include "setok/train/trainer.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include "errors.h"
#include "setok/io/json.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/seed.h"
#include "temp_dir.h"

namespace setok::train {
namespace {

namespace fs = std::filesystem;

// A generator (trainable) over a frozen base layer, and a discriminator owned by the recipe:
//   model pass:  loss = mean(D(G(B(x))))          (reaches D's weights too)
//   disc pass:   loss = mean(D(detach(G(B(x))))^2) with G(B(x)) of the model pass
struct ToyModelImpl : torch::nn::Module {
  ToyModelImpl() {
    base = register_module("base", torch::nn::Linear(4, 4));
    gen = register_module("gen", torch::nn::Linear(4, 4));
    for (auto& p : base->parameters()) p.requires_grad_(false);
  }
  torch::nn::Linear base{nullptr}, gen{nullptr};
};
TORCH_MODULE(ToyModel);

class ToyRecipe : public Recipe {
 public:
  explicit ToyRecipe(int64_t base_seed = 1) {
    at::manual_seed(base_seed);
    model_ = ToyModel();
    at::manual_seed(2);
    disc_ = torch::nn::Linear(4, 1);
    at::manual_seed(3);
    data_ = at::randn({12, 4});
  }
  torch::nn::Module& model() override { return *model_; }
  std::vector<OptimizerSpec> optimizers() override {
    OptimizerSpec g;
    g.groups = decay_groups(io::module_state(*model_), 0.0);
    g.schedule = {1e-2, 1e-2, 0, 100, "constant"};
    OptimizerSpec d;
    d.name = "discriminator";
    d.groups = decay_groups(io::module_state(*disc_), 0.0, 1.0, "disc_");
    d.adamw = {0.5, 0.9, 1e-8};
    d.schedule = {1e-2, 1e-2, 0, 100, "constant"};
    d.start_step = disc_start;
    return {g, d};
  }
  std::string base_source() const override { return "toy base"; }
  void begin_epoch(int64_t) override {}
  int64_t epoch_size() const override { return data_.size(0); }
  data::Example fetch(int64_t i) override {
    data::Example e;
    e.tensors["x"] = data_[i];
    return e;
  }
  data::Batch collate(std::vector<data::Example> examples) override {
    ++collated;
    return data::collate(std::move(examples));
  }
  std::string throughput_unit() const override { return "tokens"; }
  // As stage 1 does with its reconstructions: the discriminator's pass reuses the model pass's
  // output of the same micro-batch, detached.
  StepResult step(const data::Batch& batch, const StepContext& ctx) override {
    if (ctx.optimizer == 0) {
      const at::Tensor h = model_->gen->forward(model_->base->forward(batch.tensors.at("x")));
      hidden_ = h.detach();
      const at::Tensor loss = disc_->forward(h).mean();
      return {loss, {{"loss", loss.item<double>()}}, 4 * batch.size};
    }
    const at::Tensor loss = disc_->forward(hidden_).pow(2).mean();
    return {loss, {{"loss_disc", loss.item<double>()}}};
  }
  io::Json evaluate(int64_t step) override { return {{"step", step}}; }
  io::NamedTensors extra_state() override {
    io::NamedTensors out;
    for (auto& [k, t] : io::module_state(*disc_)) out.emplace_back("disc." + k, t);
    return out;
  }
  void load_extra_state(const io::TensorStore& store) override {
    io::LoadOptions o;
    o.name_map.prefix("disc.", "");
    io::load_state(*disc_, store, o);
  }

  ToyModel model_{nullptr};
  torch::nn::Linear disc_{nullptr};
  at::Tensor data_, hidden_;
  int64_t disc_start = 0;
  int collated = 0;
};

TrainerOptions options(const fs::path& run, int64_t steps) {
  TrainerOptions o;
  o.train.run_dir = run.string();
  o.train.steps = steps;
  o.train.batch_size = 4;
  o.train.checkpoint_every = 2;
  o.train.eval_every = 0;
  o.data.workers = 1;
  o.data.shuffle = false;
  o.log_every = 1;
  o.tensorboard = false;
  return o;
}

// Each optimizer steps on its own loss's gradient alone, although the model's pass runs through
// the discriminator: the gradients each optimizer sees (at the engine's sync hook, before
// clipping) equal the gradients of its own loss computed separately.
TEST(Trainer, EachOptimizerSeesOnlyItsOwnLoss) {
  test::TempDir dir;
  ToyRecipe reference;
  const data::Batch batch = data::collate(
      {reference.fetch(0), reference.fetch(1), reference.fetch(2), reference.fetch(3)});
  auto hidden = [&] {
    return reference.model_->gen->forward(reference.model_->base->forward(batch.tensors.at("x")));
  };
  reference.disc_->forward(hidden().detach()).pow(2).mean().backward();
  const at::Tensor disc_grad = reference.disc_->weight.grad().clone();
  reference.disc_->zero_grad();
  reference.disc_->forward(hidden()).mean().backward();
  const at::Tensor gen_grad = reference.model_->gen->weight.grad().clone();
  ASSERT_FALSE(at::allclose(reference.disc_->weight.grad(), disc_grad));  // the leak would show

  ToyRecipe recipe;
  TrainerOptions o = options(dir / "run", 1);
  std::vector<at::Tensor> seen;  // the first parameter's gradient of each optimizer
  o.grad_sync = [&](const std::vector<at::Tensor>& params) {
    seen.push_back(params.at(0).grad().clone());
  };
  Trainer(recipe, o).fit(false);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(at::allclose(seen[0], gen_grad, 1e-6, 1e-7));   // gen.weight
  EXPECT_TRUE(at::allclose(seen[1], disc_grad, 1e-6, 1e-7));  // disc weight
  EXPECT_FALSE(at::equal(recipe.disc_->weight, ToyRecipe().disc_->weight));
  // Hooks: the recipe's collate built the batches; throughput in its own unit.
  EXPECT_GE(recipe.collated, 1);
  const auto rows = io::read_jsonl(dir / "run" / "metrics.jsonl");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].contains("tokens_per_s"));
  EXPECT_GT(rows[0]["steps_per_s"].get<double>(), 0.0);
  EXPECT_TRUE(rows[0].contains("loss_disc"));
  EXPECT_TRUE(rows[0].contains("grad_norm_discriminator"));
}

TEST(Trainer, ASecondOptimizerWaitsForItsStartStep) {
  test::TempDir dir;
  ToyRecipe recipe;
  recipe.disc_start = 3;
  const at::Tensor before = recipe.disc_->weight.detach().clone();
  Trainer(recipe, options(dir / "run", 2)).fit(false);
  EXPECT_TRUE(at::equal(recipe.disc_->weight, before));
  EXPECT_FALSE(io::read_jsonl(dir / "run" / "metrics.jsonl")[0].contains("loss_disc"));
}

// Checkpoints hold what trains (and the optimizers' state, by name), refer to the frozen base
// by source and fingerprint, resume exactly and refuse another base.
TEST(Trainer, CheckpointsReferToTheFrozenBase) {
  test::TempDir dir;
  {
    ToyRecipe a;
    Trainer(a, options(dir / "straight", 4)).fit(false);
  }
  {
    ToyRecipe b;
    TrainerOptions o = options(dir / "resumed", 4);
    o.stop_after = 2;
    Trainer(b, o).fit(false);
  }
  const fs::path step2 = dir / "resumed" / "checkpoints" / "step_2";
  const auto model = io::TensorStore::open(step2 / "model.safetensors");
  EXPECT_TRUE(model.contains("gen.weight"));
  EXPECT_FALSE(model.contains("base.weight"));  // the frozen base is referred to, not copied
  const auto opt = io::TensorStore::open(step2 / "optimizer.safetensors");
  EXPECT_TRUE(opt.contains("gen.weight.exp_avg"));
  EXPECT_TRUE(opt.contains("discriminator.weight.exp_avg"));
  const io::Json state = io::read_json(step2 / "trainer.json");
  EXPECT_EQ(state["base"]["source"], "toy base");
  EXPECT_EQ(state["base"]["frozen_parameters"], 2);
  EXPECT_EQ(state["base"]["fingerprint"].get<std::string>().size(), 16u);
  {
    ToyRecipe c;
    Trainer(c, options(dir / "resumed", 4)).fit(true);
  }
  const auto a =
      io::TensorStore::open(dir / "straight" / "checkpoints" / "step_4" / "model.safetensors");
  const auto b =
      io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_4" / "model.safetensors");
  for (const auto& name : a.names()) EXPECT_TRUE(at::equal(a.get(name), b.get(name))) << name;
  // Another base (different frozen weights): a clear error, nothing trained.
  ToyRecipe other(/*base_seed=*/7);
  const std::string e =
      test::error_of([&] { Trainer(other, options(dir / "resumed", 6)).fit(true); });
  EXPECT_NE(e.find("trained on the base 'toy base' (fingerprint"), std::string::npos) << e;
  EXPECT_NE(e.find("resume with the same base weights"), std::string::npos) << e;
}

}  // namespace
}  // namespace setok::train
