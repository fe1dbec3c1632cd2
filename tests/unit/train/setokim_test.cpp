// Setokim stages 2 and 3 on the generated world, with a random SeTok and a tiny LLM: trainable
// sets, the frozen base, exact resume, the stage-2 -> stage-3 hand-off, the golden loss curve and
// the dry-run counts.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "errors.h"
#include "run_metrics.h"
#include "scene_world.h"
#include "setok/config/config.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/llm/llama_loader.h"
#include "setok/nn/lora.h"
#include "setok/train/setokim_export.h"
#include "setok/train/setokim_plan.h"
#include "setok/train/setokim_recipe.h"
#include "temp_dir.h"

namespace setok::train {
namespace {

namespace fs = std::filesystem;

// configs/setokim_tiny_<stage>.json on the generated world, smaller still.
SetokimConfig tiny(const fs::path& run, int64_t steps, const std::string& stage,
                   std::vector<std::string> extra = {}) {
  const fs::path w = test::scene_world();
  std::vector<std::string> sets = {
      "model.setok_checkpoint=",
      "model.llm.tokenizer=" + (w / "spm" / "tokenizer.model").string(),
      "model.llm.hidden_size=32",
      "model.llm.intermediate_size=64",
      "model.llm.layers=1",
      "model.diffusion.width=64",
      "model.diffusion.depth=1",
      "train.run_dir=" + run.string(),
      "train.steps=" + std::to_string(steps),
      "train.batch_size=4",
      "train.warmup_steps=1",
      "train.eval_every=0",
      "train.eval_batches=1",
      "train.checkpoint_every=2",
      "runtime.threads=1",
      "data.workers=1"};
  const int n_train = stage == "pretrain" ? 1 : 3;
  const char* kinds[] = {"instruct", "edit", "pair"};
  for (int i = 0; i < n_train; ++i) {
    const std::string kind = stage == "pretrain" ? "pair" : kinds[i];
    sets.push_back("data.train." + std::to_string(i) +
                   ".path=" + (w / "train" / (kind + ".json")).string());
    sets.push_back("data.train." + std::to_string(i) + ".image_root=" + w.string());
  }
  const int n_eval = stage == "pretrain" ? 1 : 3;
  for (int i = 0; i < n_eval; ++i) {
    const std::string kind = stage == "pretrain" ? "pair" : kinds[i];
    sets.push_back("data.eval." + std::to_string(i) +
                   ".path=" + (w / "heldout" / (kind + ".json")).string());
    sets.push_back("data.eval." + std::to_string(i) + ".image_root=" + w.string());
  }
  if (stage == "finetune") sets.push_back("train.init_from=");
  sets.insert(sets.end(), extra.begin(), extra.end());
  SetokimConfig cfg;
  config::load(cfg, SETOK_SOURCE_DIR "/configs/setokim_tiny_" + stage + ".json", sets);
  return cfg;
}

io::Json run(const SetokimConfig& cfg, bool resume, int64_t stop_after,
             std::map<std::string, at::Tensor>* before = nullptr,
             std::map<std::string, at::Tensor>* after = nullptr) {
  cfg.runtime.apply();
  SetokimRecipe recipe(cfg, c10::Device(c10::kCPU));
  if (before) {
    for (const auto& item : recipe.setokim()->named_parameters())
      (*before)[item.key()] = item.value().detach().clone();
  }
  TrainerOptions o;
  o.train = cfg.train;
  o.data = cfg.data;
  o.log_every = 2;
  o.tensorboard = false;
  o.seed = static_cast<uint64_t>(cfg.runtime.seed);
  o.stop_after = stop_after;
  const io::Json last = Trainer(recipe, o).fit(resume);
  if (after) {
    for (const auto& item : recipe.setokim()->named_parameters())
      (*after)[item.key()] = item.value().detach().clone();
  }
  return last;
}

using test::loss_rows;

bool starts(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Stage 2 with the LLM frozen: only the projectors, the special rows and the head move; the
// frozen parts stay bitwise; checkpoints hold the trained part only and resume exactly.
TEST(SetokimStage2, TrainsItsSetOverAFrozenBaseAndResumesExactly) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  std::map<std::string, at::Tensor> before, after;
  run(tiny(dir / "straight", 4, "pretrain", {"train.trainable=projectors"}), false, 0, &before,
      &after);
  for (const auto& [name, w] : before) {
    const bool trains = starts(name, "model.mm_") || starts(name, "model.special_") ||
                        starts(name, "model.diffloss") || starts(name, "model.z_norm") ||
                        starts(name, "model.diffusion_pos_embed") ||
                        starts(name, "model.count_head") || starts(name, "model.slot_embed");
    if (trains) {
      EXPECT_FALSE(at::equal(w, after.at(name))) << name << " did not train";
    } else {
      EXPECT_TRUE(at::equal(w, after.at(name))) << name << " is frozen but changed";
    }
  }
  const fs::path step4 = dir / "straight" / "checkpoints" / "step_4";
  const auto model = io::TensorStore::open(step4 / "model.safetensors");
  for (const auto& name : model.names()) {
    EXPECT_FALSE(starts(name, "setok.") || starts(name, "detokenizer.") ||
                 starts(name, "model.llm."))
        << name << " is frozen: the checkpoint refers to it";
  }
  EXPECT_TRUE(model.contains("model.mm_in_projector.0.weight"));
  run(tiny(dir / "resumed", 4, "pretrain", {"train.trainable=projectors"}), false, 2);
  run(tiny(dir / "resumed", 4, "pretrain", {"train.trainable=projectors"}), true, 0);
  const auto b =
      io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_4" / "model.safetensors");
  for (const auto& name : model.names())
    EXPECT_TRUE(at::equal(model.get(name), b.get(name))) << name;
  EXPECT_EQ(loss_rows(dir / "straight"), loss_rows(dir / "resumed"));
  // Another LLM (another seed's random weights) under the same run: refused.
  const std::string e = test::error_of([&] {
    run(tiny(dir / "resumed", 6, "pretrain", {"train.trainable=projectors", "runtime.seed=9"}),
        true, 0);
  });
  EXPECT_NE(e.find("resume with the same base weights"), std::string::npos) << e;
}

// Stage 3 starts from a stage-2 run: its projectors and head are loaded; LoRA adapters train,
// the (stage-2-trained) LLM under them stays as it was.
TEST(SetokimStage3, StartsFromStage2AndTrainsLoraOverTheLlm) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  std::map<std::string, at::Tensor> s2;
  run(tiny(dir / "s2", 2, "pretrain", {"train.trainable=full"}), false, 0, nullptr, &s2);
  std::map<std::string, at::Tensor> before, after;
  const io::Json last =
      run(tiny(dir / "s3", 2, "finetune", {"train.init_from=" + (dir / "s2").string()}), false, 0,
          &before, &after);
  for (const char* name :
       {"model.mm_in_projector.0.weight", "model.special_embed",
        "model.diffloss.net.input_proj.weight", "model.llm.model.layers.0.mlp.up_proj.weight"}) {
    ASSERT_TRUE(before.count(name)) << name;
    EXPECT_TRUE(at::equal(before.at(name), s2.at(name))) << name << ": not handed over";
  }
  int lora = 0;
  for (const auto& [name, w] : before) {
    if (name.find("lora_") != std::string::npos) {
      ++lora;
      if (name.find("lora_B") != std::string::npos) {
        EXPECT_FALSE(at::equal(w, after.at(name))) << name << " did not train";
      }
    } else if (starts(name, "model.llm.")) {
      EXPECT_TRUE(at::equal(w, after.at(name))) << name << " is frozen under LoRA but changed";
    }
  }
  EXPECT_GT(lora, 0);
  EXPECT_TRUE(last.contains("heldout_instruct"));
  EXPECT_TRUE(last["heldout_edit"].contains("loss_diffusion"));
  // Stage 3 resumes exactly too (its LoRA adapters, projectors and optimizer state).
  const auto cfg3 = [&](const char* name, int64_t steps) {
    return tiny(dir / name, steps, "finetune", {"train.init_from=" + (dir / "s2").string()});
  };
  run(cfg3("s3_straight", 4), false, 0);
  run(cfg3("s3_resumed", 4), false, 2);
  run(cfg3("s3_resumed", 4), true, 0);
  const auto a =
      io::TensorStore::open(dir / "s3_straight" / "checkpoints" / "step_4" / "model.safetensors");
  const auto b =
      io::TensorStore::open(dir / "s3_resumed" / "checkpoints" / "step_4" / "model.safetensors");
  ASSERT_EQ(a.names(), b.names());
  for (const auto& name : a.names()) EXPECT_TRUE(at::equal(a.get(name), b.get(name))) << name;
  EXPECT_EQ(loss_rows(dir / "s3_straight"), loss_rows(dir / "s3_resumed"));
}

// A token norm is fitted once, at the start of the run that first has it, kept in its
// checkpoints and handed on: stage 3 starts with stage 2's map, whatever its own image budget.
TEST(SetokimStage2, TokenNormFittedOnceAndHandedOn) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  run(tiny(dir / "s2", 2, "pretrain",
           {"model.diffusion.token_norm=whiten", "model.diffusion.token_norm_images=24"}),
      false, 0);
  const auto s2 =
      io::TensorStore::open(dir / "s2" / "checkpoints" / "step_2" / "model.safetensors");
  ASSERT_TRUE(s2.contains("model.token_map"));
  EXPECT_EQ(s2.get("model.token_norm_fitted").item<int64_t>(), 1);
  const at::Tensor map = s2.get("model.token_map"), unmap = s2.get("model.token_unmap");
  EXPECT_TRUE(at::allclose(at::matmul(map, unmap), at::eye(map.size(0)), 1e-3, 1e-3));
  EXPECT_FALSE(at::allclose(map, at::eye(map.size(0))));
  run(tiny(dir / "s3", 2, "finetune",
           {"train.init_from=" + (dir / "s2").string(), "model.diffusion.token_norm=whiten",
            "model.diffusion.token_norm_images=200"}),
      false, 0);
  const auto s3 =
      io::TensorStore::open(dir / "s3" / "checkpoints" / "step_2" / "model.safetensors");
  for (const char* name : {"model.token_shift", "model.token_map", "model.token_unmap"})
    EXPECT_TRUE(at::equal(s2.get(name), s3.get(name))) << name << ": refitted, not handed on";
}

// The tiny stage 2's first 20 steps against tests/golden/setokim_tiny_pretrain_loss.json (text
// and diffusion terms, 5 % relative per logged step); SETOK_UPDATE_GOLDEN=1 rewrites it.
TEST(SetokimStage2, GoldenLossCurve) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  run(tiny(dir / "golden", 20, "pretrain", {"train.lr=0.004", "train.schedule=constant"}), false,
      0);
  std::vector<double> text, diffusion;
  for (const auto& row : io::read_jsonl(dir / "golden" / "metrics.jsonl")) {
    text.push_back(row["loss_text"].get<double>());
    diffusion.push_back(row["loss_diffusion"].get<double>());
  }
  ASSERT_EQ(text.size(), 10u);
  EXPECT_LT(text.back(), 0.7 * text.front()) << "the text loss did not fall";
  const fs::path golden = SETOK_SOURCE_DIR "/tests/golden/setokim_tiny_pretrain_loss.json";
  if (std::getenv("SETOK_UPDATE_GOLDEN") != nullptr) {
    io::write_json(golden, {{"tolerance_relative", 0.05},
                            {"what",
                             "metrics.jsonl loss_text / loss_diffusion every 2 steps, "
                             "configs/setokim_tiny_pretrain.json shrunk as in "
                             "tests/unit/train/setokim_test.cpp, batch 4, 1 thread"},
                            {"loss_text", text},
                            {"loss_diffusion", diffusion}});
    GTEST_SKIP() << "rewrote " << golden;
  }
  const io::Json ref = io::read_json(golden);
  const double tol = ref["tolerance_relative"].get<double>();
  for (const auto& [key, got] :
       {std::make_pair("loss_text", text), std::make_pair("loss_diffusion", diffusion)}) {
    const auto want = ref[key].get<std::vector<double>>();
    ASSERT_EQ(want.size(), got.size()) << key;
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(got[i], want[i], tol * std::abs(want[i]))
          << key << " at logged step " << 2 * (i + 1);
  }
}

// The VQA corpora train as conversations: a GQA-layout file and a VQAv2-layout pair over the
// scenes' images (copied under the publishers' file names) run through stage 3 and evaluate
// under their names; the data entry's VQA keys are checked when the config loads.
TEST(SetokimData, VqaLayoutsTrainAsConversations) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  const fs::path w = test::scene_world();
  const io::Json scenes = io::read_json(w / "heldout" / "instruct.json");
  fs::create_directories(dir / "images");
  io::Json gqa = io::Json::object();
  io::Json questions = io::Json::array(), annotations = io::Json::array();
  for (int i = 0; i < 4; ++i) {
    const io::Json& scene = scenes[static_cast<size_t>(i)];
    const std::string question = scene["conversations"][0]["value"].get<std::string>().substr(8);
    const std::string answer = scene["conversations"][1]["value"];
    fs::copy_file(w / scene["image"].get<std::string>(),
                  dir / "images" / (std::to_string(i) + ".jpg"));
    fs::copy_file(w / scene["image"].get<std::string>(),
                  dir / "images" / fmt::format("COCO_val2014_{:012d}.jpg", i));
    gqa["q" + std::to_string(i)] = {
        {"imageId", std::to_string(i)}, {"question", question}, {"answer", answer}};
    questions.push_back({{"image_id", i}, {"question", question}, {"question_id", 100 + i}});
    annotations.push_back({{"question_id", 100 + i},
                           {"multiple_choice_answer", answer},
                           {"answers", {{{"answer", answer}}}}});
  }
  io::write_json(dir / "gqa.json", gqa);
  io::write_json(dir / "q.json", {{"data_subtype", "val2014"}, {"questions", questions}});
  io::write_json(dir / "a.json", {{"annotations", annotations}});
  const std::string images = (dir / "images").string();
  const SetokimConfig cfg = tiny(
      dir / "run", 2, "finetune",
      {"data.train.0.type=gqa", "data.train.0.path=" + (dir / "gqa.json").string(),
       "data.train.0.image_root=" + images, "data.eval.0.type=vqav2",
       "data.eval.0.name=heldout_vqav2", "data.eval.0.path=" + (dir / "q.json").string(),
       "data.eval.0.annotations=" + (dir / "a.json").string(), "data.eval.0.image_root=" + images});
  const io::Json last = run(cfg, false, 0);
  ASSERT_TRUE(last.contains("heldout_vqav2")) << last.dump();
  EXPECT_EQ(last["heldout_vqav2"]["samples"], 4);
  EXPECT_GT(last["heldout_vqav2"]["loss_text"].get<double>(), 0.0);
  // The entry's VQA keys belong to their readers.
  SetokimConfig bad;
  const fs::path tiny_cfg = SETOK_SOURCE_DIR "/configs/setokim_tiny_finetune.json";
  EXPECT_NE(test::error_of([&] {
              config::load(bad, tiny_cfg, {"data.train.0.type=vqav2"});
            }).find("data.train.0.annotations: vqav2 needs its annotations file"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              config::load(bad, tiny_cfg,
                           {"data.train.0.type=gqa", "data.train.0.answer_style=multiple_choice"});
            }).find("data.train.0.answer_style: multiple_choice is A-OKVQA's"),
            std::string::npos);
}

// One publisher layout of each kind trains and evaluates: PandaGPT conversations, MagicBrush
// sessions, ImageNet class prompts (generation and captioning pairs) and ALLaVA.
TEST(SetokimData, PublisherLayoutsOfEveryKindTrain) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  const fs::path w = test::scene_world();
  const io::Json scenes = io::read_json(w / "heldout" / "instruct.json");
  io::Json panda = io::Json::array(), imagenet = io::Json::array(), allava = io::Json::array();
  io::Json sessions = io::Json::object();
  fs::create_directories(dir / "allava_laion" / "images");
  for (int i = 0; i < 4; ++i) {
    const io::Json& scene = scenes[static_cast<size_t>(i)];
    const fs::path image = w / scene["image"].get<std::string>();
    const std::string id = std::to_string(i);
    fs::create_directories(dir / "images" / id);
    fs::copy_file(image, dir / "images" / (id + ".jpg"));
    fs::copy_file(image, dir / "images" / id / (id + "-input.png"));
    fs::copy_file(image, dir / "images" / id / (id + "-output1.png"));
    fs::copy_file(image, dir / "allava_laion" / "images" / (id + ".jpeg"));
    panda.push_back(
        {{"image_name", id},
         {"conversation",
          {{{"from", "human"}, {"value", "How many shapes?"}}, {{"from", "gpt"}, {"value", id}}}}});
    sessions[id] = {{{"input", id + "-input.png"},
                     {"mask", id + "-mask1.png"},
                     {"output", id + "-output1.png"},
                     {"instruction", "keep it"}}};
    imagenet.push_back({{"image", id + ".jpg"}, {"label", i % 2 == 0 ? "circle" : "square"}});
    allava.push_back({{"id", "allava_laion_inst_" + id},
                      {"image", "allava_laion/images/" + id + ".jpeg"},
                      {"conversations", scene["conversations"]}});
  }
  io::write_json(dir / "panda.json", panda);
  io::write_json(dir / "edit_sessions.json", sessions);
  io::write_json(dir / "data.json", imagenet);
  io::write_json(dir / "allava_laion" / "ALLaVA-Instruct-LAION-4V.json", allava);
  const std::string images = (dir / "images").string();
  const SetokimConfig cfg = tiny(
      dir / "run", 2, "finetune",
      {"data.train.0.type=pandagpt", "data.train.0.path=" + (dir / "panda.json").string(),
       "data.train.0.image_root=" + images, "data.train.1.type=magicbrush",
       "data.train.1.path=" + (dir / "edit_sessions.json").string(), "data.train.1.image_root=",
       "data.train.2.type=imagenet", "data.train.2.path=" + (dir / "data.json").string(),
       "data.train.2.image_root=" + images, "data.train.2.caption_template=a photo of a {}.",
       "data.eval.0.type=allava", "data.eval.0.name=allava",
       "data.eval.0.path=" + (dir / "allava_laion" / "ALLaVA-Instruct-LAION-4V.json").string(),
       "data.eval.0.image_root=", "data.eval.1.type=magicbrush", "data.eval.1.name=magicbrush",
       "data.eval.1.path=" + (dir / "edit_sessions.json").string(), "data.eval.1.image_root="});
  const io::Json last = run(cfg, false, 0);
  ASSERT_TRUE(last.contains("allava")) << last.dump();
  EXPECT_EQ(last["allava"]["samples"], 4);
  EXPECT_GT(last["allava"]["loss_text"].get<double>(), 0.0);
  EXPECT_EQ(last["magicbrush"]["samples"], 4);
  EXPECT_GT(last["magicbrush"]["loss_diffusion"].get<double>(), 0.0);
  SetokimConfig bad;
  const fs::path tiny_cfg = SETOK_SOURCE_DIR "/configs/setokim_tiny_finetune.json";
  EXPECT_NE(test::error_of([&] {
              config::load(bad, tiny_cfg, {"data.train.0.caption_template=a {}"});
            }).find("data.train.0.caption_template: only imagenet captions are templated"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              config::load(bad, tiny_cfg,
                           {"data.train.0.type=imagenet", "data.train.0.caption_template=a cat"});
            }).find("data.train.0.caption_template: needs {}"),
            std::string::npos);
}

// Export: the LLM with its LoRA adapters merged gives the logits of the model with adapters
// (1e-5) and loads through the HF LLaMA loader; the PEFT adapter on the base reproduces them too;
// the projectors-and-head file starts another run.
TEST(SetokimExport, MergedLlmAdapterAndProjectors) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  run(tiny(dir / "s2", 2, "pretrain", {"train.trainable=full"}), false, 0);
  const SetokimConfig fin =
      tiny(dir / "s3", 2, "finetune", {"train.init_from=" + (dir / "s2").string()});
  run(fin, false, 0);
  fin.runtime.apply();
  const SetokimExport e = export_setokim(fin, dir / "s3", dir / "export");
  // The reference: the run's module with its adapters, rebuilt and loaded from the checkpoint.
  fin.runtime.apply();
  mllm::Setokim ref = mllm::build_setokim(fin.model, fin.start());
  io::LoadOptions lenient;  // the checkpoint holds what trained: the rest is the rebuilt base
  lenient.strict = false;
  io::load_state(*ref,
                 io::TensorStore::open(dir / "s3" / "checkpoints" / "step_2" / "model.safetensors"),
                 lenient);
  ref->eval();
  at::NoGradGuard g;
  const at::Tensor ids =
      at::tensor(std::vector<int64_t>{1, 5, 17, 33, 2, 9}, at::kLong).view({1, 6});
  const at::Tensor want = ref->model->llm->forward(ids);
  llm::LlamaForCausalLM merged = llm::load_llama(e.llm);
  merged->eval();
  EXPECT_TRUE(at::allclose(merged->forward(ids), want, 1e-5, 1e-5));
  EXPECT_TRUE(fs::exists(e.llm / "tokenizer.model"));
  // The adapter in PEFT layout on the stage-2 base gives the same.
  SetokimConfig base_cfg = fin;
  base_cfg.train.trainable = "projectors";
  base_cfg.model.llm.lora.enabled = false;
  fin.runtime.apply();
  mllm::Setokim base = mllm::build_setokim(base_cfg.model, base_cfg.start());
  nn::load_lora(*base->model->llm, e.adapter);
  base->eval();
  EXPECT_TRUE(at::allclose(base->model->llm->forward(ids), want, 1e-5, 1e-5));
  // The projectors and head start a run as a stage-2 folder would.
  SetokimConfig again = fin;
  again.train.init_from = e.projectors.string();
  fin.runtime.apply();
  mllm::Setokim seeded = mllm::build_setokim(again.model, again.start());
  const auto proj = io::TensorStore::open(e.projectors);
  EXPECT_TRUE(proj.contains("model.mm_out_projector.2.weight"));
  EXPECT_FALSE(proj.contains("model.llm.lm_head.weight"));
  EXPECT_TRUE(at::equal(seeded->model->mm_out_projector->layers[2]->as<torch::nn::Linear>()->weight,
                        proj.get("model.mm_out_projector.2.weight")));
}

// --dry-run's counts equal those of the built model, for every trainable set.
TEST(SetokimPlan, CountsMatchTheBuiltModel) {
  if (!io::has_image_support()) GTEST_SKIP() << "the world is PNG files";
  test::TempDir dir;
  for (const std::string trainable : {"projectors", "full", "lora"}) {
    SetokimConfig cfg = tiny(dir / "plan", 1, trainable == "lora" ? "finetune" : "pretrain",
                             {"train.trainable=" + trainable});
    cfg.runtime.apply();
    const SetokimPlan plan = plan_setokim(cfg);
    SetokimRecipe recipe(cfg, c10::Device(c10::kCPU));
    int64_t total = 0;
    for (const auto& p : recipe.setokim()->parameters()) total += p.numel();
    EXPECT_EQ(plan.total, total) << trainable;
    EXPECT_EQ(plan.trainable, recipe.trainable_parameters()) << trainable;
  }
}

// The paper-scale configs describe Vicuna-7B v1.5 (6,738,415,616 parameters) and, in stage 3,
// LoRA r 128 on its seven linears per layer (319,815,680), with no weights present.
TEST(SetokimPlan, Vicuna7bConfigsWithoutWeights) {
  SetokimConfig pre, fin;
  config::load(pre, SETOK_SOURCE_DIR "/configs/setokim_vicuna7b_pretrain.json");
  config::load(fin, SETOK_SOURCE_DIR "/configs/setokim_vicuna7b_finetune.json");
  llm::LlmConfig keys = pre.model.llm;
  keys.pretrained.clear();
  llm::LlamaConfig arch = keys.architecture(32000);
  arch.vocab_size = 32000;
  EXPECT_EQ(llama_parameters(arch), 6738415616);
  EXPECT_EQ(llama_lora_parameters(arch, fin.model.llm.lora.options()), 319815680);
  // Stage 3's mixture is the original finetune.sh's, through the publishers' layouts.
  std::vector<std::string> types;
  for (const auto& e : fin.data.train) types.push_back(e.type);
  EXPECT_EQ(types,
            (std::vector<std::string>{"allava", "pandagpt", "vqav2", "okvqa", "aokvqa", "gqa"}));
}

}  // namespace
}  // namespace setok::train
