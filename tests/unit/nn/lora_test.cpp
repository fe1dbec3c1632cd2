// LoRA: zero-initialised adapters change nothing, merge = unmerged forward, unmerge restores,
// adapters round-trip through PEFT names, targeting by name pattern, and clear errors.
#include "setok/nn/lora.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "llm_fixtures.h"
#include "setok/io/json.h"
#include "setok/io/safetensors.h"
#include "setok/llm/llama_model.h"
#include "temp_dir.h"

namespace setok::nn {
namespace {

using test::error_of;

llm::LlamaForCausalLM model(uint64_t seed = 3) {
  at::manual_seed(seed);
  llm::LlamaForCausalLM m(test::tiny_llama());
  m->eval();
  return m;
}

const at::Tensor& ids() {
  static const at::Tensor t =
      at::tensor(std::vector<int64_t>{1, 17, 40, 2, 90, 33}, at::kLong).view({1, 6});
  return t;
}

void randomize_b(torch::nn::Module& m, uint64_t seed) {
  at::manual_seed(seed);
  at::NoGradGuard no_grad;
  for (auto& [name, layer] : lora_layers(m)) layer->lora_B->weight.normal_(0, 0.1);
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(Lora, PatternsTargetByNameSuffixOrRegex) {
  EXPECT_TRUE(lora_pattern_matches("q_proj", "model.layers.0.self_attn.q_proj"));
  EXPECT_TRUE(lora_pattern_matches("self_attn.q_proj", "model.layers.0.self_attn.q_proj"));
  EXPECT_FALSE(lora_pattern_matches("proj", "model.layers.0.self_attn.q_proj"));
  EXPECT_TRUE(lora_pattern_matches("re:.*layers\\.1\\..*_proj", "model.layers.1.mlp.up_proj"));
  EXPECT_FALSE(lora_pattern_matches("re:.*layers\\.1\\..*_proj", "model.layers.0.mlp.up_proj"));
  auto m = model();
  LoraOptions o;
  o.target_modules = {"q_proj", "re:model\\.layers\\.1\\.mlp\\.down_proj"};
  const auto names = apply_lora(*m, o);
  EXPECT_EQ(names, (std::vector<std::string>{"model.layers.0.self_attn.q_proj",
                                             "model.layers.1.mlp.down_proj",
                                             "model.layers.1.self_attn.q_proj"}));
  EXPECT_EQ(lora_parameters(*m).size(), 6u);
}

TEST(Lora, FreshAdaptersChangeNothingAndTrainOnlyThemselves) {
  at::NoGradGuard no_grad;
  auto m = model();
  const at::Tensor before = m->forward(ids());
  apply_lora(*m, LoraOptions{});
  EXPECT_EQ(lora_layers(*m).size(), 14u);  // 7 linears x 2 layers
  EXPECT_EQ(max_diff(m->forward(ids()), before), 0.0);
  randomize_b(*m, 5);
  EXPECT_GT(max_diff(m->forward(ids()), before), 1e-4);
}

TEST(Lora, GradientsReachAdaptersWhenTheBaseIsFrozen) {
  auto m = model();
  apply_lora(*m, LoraOptions{});
  randomize_b(*m, 6);
  for (auto& p : m->parameters()) p.set_requires_grad(false);
  for (auto& p : lora_parameters(*m)) p.set_requires_grad(true);
  m->forward(ids()).sum().backward();
  for (auto& p : lora_parameters(*m)) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
  EXPECT_FALSE(
      m->model->layers[0]->as<llm::LlamaBlockImpl>()->self_attn->q_proj->weight.grad().defined());
}

TEST(Lora, MergedEqualsUnmergedAndUnmergeRestores) {
  at::NoGradGuard no_grad;
  auto m = model();
  LoraOptions o;
  o.r = 4;
  o.alpha = 8;
  o.dropout = 0.3;  // eval mode: no dropout in either path
  apply_lora(*m, o);
  randomize_b(*m, 7);
  const at::Tensor w0 =
      m->model->layers[1]->as<llm::LlamaBlockImpl>()->mlp->up_proj->weight.clone();
  const at::Tensor unmerged = m->forward(ids());
  merge_lora(*m);
  EXPECT_GT(max_diff(m->model->layers[1]->as<llm::LlamaBlockImpl>()->mlp->up_proj->weight, w0),
            1e-4);
  EXPECT_LT(max_diff(m->forward(ids()), unmerged), 1e-5);
  merge_lora(*m);  // idempotent
  EXPECT_LT(max_diff(m->forward(ids()), unmerged), 1e-5);
  unmerge_lora(*m);
  EXPECT_LT(max_diff(m->model->layers[1]->as<llm::LlamaBlockImpl>()->mlp->up_proj->weight, w0),
            1e-6);
  EXPECT_LT(max_diff(m->forward(ids()), unmerged), 1e-5);
}

TEST(Lora, AdaptersRoundTripThroughPeftNames) {
  at::NoGradGuard no_grad;
  auto m = model();
  LoraOptions o;
  o.r = 2;
  o.alpha = 4;
  o.target_modules = {"q_proj", "v_proj"};
  apply_lora(*m, o);
  randomize_b(*m, 8);
  const at::Tensor adapted = m->forward(ids());
  test::TempDir dir;
  save_lora(*m, dir.path(), o, "tiny-llama");
  const auto file = io::SafetensorsFile::open(dir / "adapter_model.safetensors");
  EXPECT_EQ(file->names().size(), 8u);
  EXPECT_TRUE(file->contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
  EXPECT_EQ(file->entry("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").shape,
            (std::vector<int64_t>{16, 2}));
  const io::Json config = io::read_json(dir / "adapter_config.json");
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["r"], 2);
  EXPECT_EQ(config["lora_alpha"], 4.0);
  EXPECT_EQ(config["base_model_name_or_path"], "tiny-llama");

  auto fresh = model();  // same base weights (same seed), no adapters
  EXPECT_GT(max_diff(fresh->forward(ids()), adapted), 1e-4);
  const LoraOptions read = load_lora(*fresh, dir.path());
  EXPECT_EQ(read.r, 2);
  EXPECT_EQ(read.target_modules, o.target_modules);
  EXPECT_EQ(lora_layers(*fresh).size(), 4u);
  EXPECT_LT(max_diff(fresh->forward(ids()), adapted), 1e-6);
}

TEST(Lora, ErrorsNameTheProblem) {
  auto m = model();
  LoraOptions none;
  none.target_modules = {"no_such_layer"};
  EXPECT_NE(error_of([&] { apply_lora(*m, none); }).find("no module matches"), std::string::npos);
  LoraOptions norm;
  norm.target_modules = {"input_layernorm"};
  EXPECT_NE(error_of([&] { apply_lora(*m, norm); }).find("not a linear layer"), std::string::npos);

  test::TempDir dir;
  EXPECT_NE(error_of([&] { save_lora(*m, dir.path(), LoraOptions{}); }).find("no LoRA adapters"),
            std::string::npos);
  // An adapter for a module the model lacks.
  io::write_json(
      dir / "adapter_config.json",
      {{"peft_type", "LORA"}, {"r", 2}, {"lora_alpha", 4}, {"target_modules", {"q_proj"}}});
  io::save_safetensors(
      dir / "adapter_model.safetensors",
      {{"base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight", at::zeros({2, 32})},
       {"base_model.model.model.layers.7.self_attn.q_proj.lora_B.weight", at::zeros({32, 2})}});
  EXPECT_NE(error_of([&] {
              load_lora(*m, dir.path());
            }).find("no module 'model.layers.7.self_attn.q_proj'"),
            std::string::npos);
  // A rank that does not fit, and an A without its B.
  io::save_safetensors(
      dir / "adapter_model.safetensors",
      {{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", at::zeros({2, 31})},
       {"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", at::zeros({32, 2})}});
  EXPECT_NE(error_of([&] { load_lora(*m, dir.path()); }).find("do not fit"), std::string::npos);
  io::save_safetensors(
      dir / "adapter_model.safetensors",
      {{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", at::zeros({2, 32})}});
  EXPECT_NE(error_of([&] { load_lora(*m, dir.path()); }).find("has no matching"),
            std::string::npos);
  io::write_json(dir / "adapter_config.json", {{"peft_type", "LORA"}});
  EXPECT_NE(error_of([&] { load_lora(*m, dir.path()); }).find("adapter_config.json"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::nn
