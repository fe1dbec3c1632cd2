// Stage 1 end to end on a small generated scene set: exact resume and the golden loss curve.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "errors.h"
#include "run_metrics.h"
#include "scene_world.h"
#include "setok/config/config.h"
#include "setok/data/scene_dataset.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/seed.h"
#include "setok/text/sentencepiece.h"
#include "setok/train/stage1.h"
#include "setok/train/stage1_config.h"
#include "temp_dir.h"

namespace setok::train {
namespace {

namespace fs = std::filesystem;

const fs::path& world() {
  return test::scene_world();
}

// configs/setok_tiny.json pointed at the generated world.
Stage1Config tiny_config(const fs::path& run_dir, int64_t steps) {
  Stage1Config cfg;
  const fs::path w = world();
  config::load(cfg, SETOK_SOURCE_DIR "/configs/setok_tiny.json",
               {"model.text.tokenizer=" + (w / "spm" / "tokenizer.model").string(),
                "data.train.0.path=" + (w / "train" / "pair.json").string(),
                "data.train.0.image_root=" + w.string(),
                "data.eval.0.path=" + (w / "heldout" / "pair.json").string(),
                "data.eval.0.image_root=" + w.string(), "data.eval.0.name=heldout",
                "train.run_dir=" + run_dir.string(), "train.steps=" + std::to_string(steps),
                "train.batch_size=4", "train.warmup_steps=2", "train.checkpoint_every=4",
                "train.eval_every=0", "train.sample_every=0", "runtime.threads=1"});
  return cfg;
}

io::Json run(const Stage1Config& cfg, bool resume, int64_t stop_after) {
  cfg.runtime.apply();  // seeds torch and our generators, as the app does
  Stage1Recipe recipe(cfg, c10::Device(c10::kCPU));
  TrainerOptions o;
  o.train = cfg.train;
  o.data = cfg.data;
  o.log_every = 2;
  o.seed = static_cast<uint64_t>(cfg.runtime.seed);
  o.stop_after = stop_after;
  Trainer trainer(recipe, o);
  return trainer.fit(resume);
}

using test::loss_rows;

TEST(Stage1, ResumeIsExact) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  const auto straight = run(tiny_config(dir / "straight", 8), false, 0);
  run(tiny_config(dir / "resumed", 8), false, 4);  // interrupted after 4 of 8 steps
  ASSERT_TRUE(fs::exists(dir / "resumed" / "checkpoints" / "step_4"));
  ASSERT_FALSE(fs::exists(dir / "resumed" / "checkpoints" / "step_8"));
  const auto resumed = run(tiny_config(dir / "resumed", 8), true, 0);
  const auto a =
      io::TensorStore::open(dir / "straight" / "checkpoints" / "step_8" / "model.safetensors");
  const auto b =
      io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_8" / "model.safetensors");
  ASSERT_EQ(a.names(), b.names());
  for (const auto& name : a.names()) {
    ASSERT_TRUE(at::equal(a.get(name), b.get(name))) << name;
  }
  EXPECT_EQ(loss_rows(dir / "straight"), loss_rows(dir / "resumed"));
  EXPECT_EQ(straight["heldout"]["loss"], resumed["heldout"]["loss"]);
}

// With an EMA, the averaged weights survive a resume exactly, and evaluation uses them.
TEST(Stage1, EmaResumesExactlyAndEvaluates) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  auto cfg = [&](const char* name) {
    Stage1Config c = tiny_config(dir / name, 8);
    c.train.ema_decay = 0.8;
    return c;
  };
  const auto straight = run(cfg("straight"), false, 0);
  run(cfg("resumed"), false, 4);
  const auto resumed = run(cfg("resumed"), true, 0);
  const auto a =
      io::TensorStore::open(dir / "straight" / "checkpoints" / "step_8" / "ema.safetensors");
  const auto b =
      io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_8" / "ema.safetensors");
  const auto m =
      io::TensorStore::open(dir / "straight" / "checkpoints" / "step_8" / "model.safetensors");
  ASSERT_EQ(a.names(), b.names());
  ASSERT_FALSE(a.names().empty());
  double ema_vs_model = 0;
  for (const auto& name : a.names()) {
    ASSERT_TRUE(at::equal(a.get(name), b.get(name))) << name;
    ema_vs_model =
        std::max(ema_vs_model, (a.get(name) - m.get(name.substr(4))).abs().max().item<double>());
  }
  EXPECT_GT(ema_vs_model, 0.0);  // the average lags the trained weights
  EXPECT_EQ(straight["heldout"]["loss"], resumed["heldout"]["loss"]);
  // The final evaluation ran with the EMA weights: it differs from one with the trained ones.
  Stage1Config plain = cfg("straight");
  plain.train.ema_eval = false;
  cfg("straight").runtime.apply();
  Stage1Recipe recipe(plain, c10::Device(c10::kCPU));
  TrainerOptions o;
  o.train = plain.train;
  o.data = plain.data;
  const io::Json raw = Trainer(recipe, o).evaluate_only();
  EXPECT_NE(raw["heldout"]["loss"], straight["heldout"]["loss"]);
}

// Recomputing the transformer blocks in backward must not change training at all.
TEST(Stage1, ActivationCheckpointingChangesNothing) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  run(tiny_config(dir / "plain", 4), false, 0);
  Stage1Config cfg = tiny_config(dir / "recompute", 4);
  cfg.train.activation_checkpointing = true;
  run(cfg, false, 0);
  const auto a =
      io::TensorStore::open(dir / "plain" / "checkpoints" / "step_4" / "model.safetensors");
  const auto b =
      io::TensorStore::open(dir / "recompute" / "checkpoints" / "step_4" / "model.safetensors");
  ASSERT_EQ(a.names(), b.names());
  // Gradients agree to float rounding; AdamW's first steps (update ~ lr * sign(g)) can turn
  // rounding in a near-zero gradient into up to ~lr of parameter difference, no more.
  double worst = 0;
  for (const auto& name : a.names()) {
    worst = std::max(worst, (a.get(name) - b.get(name)).abs().max().item<double>());
  }
  EXPECT_LT(worst, 2 * cfg.train.lr);
  const auto plain = loss_rows(dir / "plain"), recompute = loss_rows(dir / "recompute");
  ASSERT_EQ(plain.size(), recompute.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    if (!plain[i].contains("loss")) continue;
    EXPECT_NEAR(plain[i]["loss"].get<double>(), recompute[i]["loss"].get<double>(),
                1e-5 * std::abs(plain[i]["loss"].get<double>()))
        << "row " << i;
  }
}

// The tiny config's loss over 40 steps against tests/golden/stage1_tiny_loss.json (5 % relative
// per logged step); SETOK_UPDATE_GOLDEN=1 rewrites the file. The loss must also fall.
TEST(Stage1, GoldenLossCurve) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  run(tiny_config(dir / "golden", 40), false, 0);
  std::vector<double> losses;
  for (const auto& row : io::read_jsonl(dir / "golden" / "metrics.jsonl")) {
    losses.push_back(row["loss"].get<double>());
    // 40 steps of 4 from 40 scenes cross 3 epoch boundaries (a new loader each): the timing
    // fields stay meaningful across them.
    const double wait = row["data_wait_fraction"].get<double>();
    EXPECT_GE(wait, 0.0) << "step " << row["step"];
    EXPECT_LE(wait, 1.0) << "step " << row["step"];
    EXPECT_GT(row["images_per_s"].get<double>(), 0.0);
  }
  ASSERT_EQ(losses.size(), 20u);
  EXPECT_LT(losses.back(), 0.7 * losses.front()) << "the loss did not fall";
  const fs::path golden = SETOK_SOURCE_DIR "/tests/golden/stage1_tiny_loss.json";
  if (std::getenv("SETOK_UPDATE_GOLDEN") != nullptr) {
    io::write_json(
        golden,
        {{"tolerance_relative", 0.05},
         {"what", "metrics.jsonl loss every 2 steps, configs/setok_tiny.json, batch 4, 1 thread"},
         {"loss", losses}});
    GTEST_SKIP() << "rewrote " << golden;
  }
  const io::Json ref = io::read_json(golden);
  const auto want = ref["loss"].get<std::vector<double>>();
  const double tol = ref["tolerance_relative"].get<double>();
  ASSERT_EQ(want.size(), losses.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(losses[i], want[i], tol * std::abs(want[i])) << "logged step " << 2 * (i + 1);
  }
}

// Evaluation and sample sheets run on their own random streams: training is bit-identical
// whatever eval_every and sample_every are, and the same evaluation gives the same numbers.
TEST(Stage1, TrainingIgnoresEvaluationAndSamplePeriods) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  run(tiny_config(dir / "quiet", 6), false, 0);
  Stage1Config busy = tiny_config(dir / "busy", 6);
  busy.train.eval_every = 2;
  busy.train.sample_every = 2;
  busy.train.eval_batches = 1;
  run(busy, false, 0);
  ASSERT_TRUE(fs::exists(dir / "busy" / "samples" / "step_4.png"));
  const auto a =
      io::TensorStore::open(dir / "quiet" / "checkpoints" / "step_6" / "model.safetensors");
  const auto b =
      io::TensorStore::open(dir / "busy" / "checkpoints" / "step_6" / "model.safetensors");
  ASSERT_EQ(a.names(), b.names());
  for (const auto& name : a.names()) ASSERT_TRUE(at::equal(a.get(name), b.get(name))) << name;
  EXPECT_EQ(loss_rows(dir / "quiet"), loss_rows(dir / "busy"));
  // Two evaluations of the same weights agree exactly (eval draws the same numbers every time).
  const io::Json e = io::read_json(dir / "busy" / "eval.json");
  const io::Json evals = e["evaluations"];
  ASSERT_GE(evals.size(), 3u);
  EXPECT_TRUE(evals[0]["heldout"].contains("fg_ari"));
  EXPECT_TRUE(evals[0]["heldout"].contains("grounding_accuracy"));
  EXPECT_TRUE(evals[0]["heldout"].contains("retrieval_chance"));
  // The tiny config marks its held-out set as scenes: every decoded image is read back.
  const io::Json& h = evals.back()["heldout"];
  ASSERT_TRUE(h.contains("read_count_exact"));
  EXPECT_EQ(h["read_images"].get<int64_t>(), h["images"].get<int64_t>());
  for (const char* k : {"read_count_exact", "read_colour_set_exact"}) {
    EXPECT_GE(h[k].get<double>(), 0.0);
    EXPECT_LE(h[k].get<double>(), 100.0);
  }
}

TEST(Stage1, ScenesIsAPairSetsKey) {
  Stage1Config cfg = tiny_config("unused", 1);
  cfg.data.eval[0].type = "instruct";
  EXPECT_NE(test::error_of([&] {
              config::validate(cfg);
            }).find("data.eval.0.scenes: only pair sets hold the demo world's scenes"),
            std::string::npos);
  cfg.data.eval[0].scenes = false;
  config::validate(cfg);
}

// Real datasets hold images (and masks) of any size: letterboxed with pad_to_square, their
// padding never clustered, masks carried per image through training and evaluation.
TEST(Stage1, MixedImageAndMaskSizesTrainAndEvaluate) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  // Six scenes cropped to different shapes, each with its mask cropped the same way.
  const fs::path w = world();
  io::Json records = io::Json::array();
  const io::Json pairs = io::read_json(w / "train" / "pair.json");
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{64, 40}, {36, 64}, {64, 64},
                                                           {50, 30}, {64, 48}, {20, 64}};
  fs::create_directories(dir / "imgs");
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto [h, w_] = shapes[i];
    const at::Tensor img = io::read_image(w / pairs[i]["image"].get<std::string>());
    const at::Tensor mask = io::read_image(w / pairs[i]["mask"].get<std::string>());
    const std::string name = "imgs/" + std::to_string(i);
    io::write_image(dir / (name + ".png"), img.narrow(1, 0, h).narrow(2, 0, w_));
    io::write_image(dir / (name + "_mask.png"),
                    mask.narrow(1, 0, h).narrow(2, 0, w_).narrow(0, 0, 1));
    io::Json r = pairs[i];
    r["image"] = name + ".png";
    r["mask"] = name + "_mask.png";
    records.push_back(r);
  }
  io::write_json(dir / "mixed.json", records);
  Stage1Config cfg = tiny_config(dir / "run", 4);
  cfg.model.vision.pad_to_square = true;
  cfg.data.train[0].path = (dir / "mixed.json").string();
  cfg.data.train[0].image_root = dir.path().string();
  cfg.data.eval[0].path = (dir / "mixed.json").string();
  cfg.data.eval[0].image_root = dir.path().string();
  cfg.data.eval[0].name = "mixed";
  cfg.train.batch_size = 3;
  const io::Json last = run(cfg, false, 0);
  const io::Json m = last["mixed"];
  EXPECT_EQ(m["images"].get<int64_t>(), 6);
  EXPECT_TRUE(m.contains("fg_ari"));
  EXPECT_TRUE(m.contains("grounding_accuracy"));
  const double fg = m["fg_ari"].get<double>();
  EXPECT_GE(fg, -1.0);
  EXPECT_LE(fg, 1.0);
}

// train.tower_gradient: a trainable tower learns from the alignment losses only, or from
// reconstruction only; the other side still trains the merger over the same clusters.
TEST(Stage1, TowerLearnsOnlyFromTheChosenSide) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  auto changed = [&](const char* name, double concept, const std::string& route,
                     double reconstruction = 1.0) {
    Stage1Config cfg = tiny_config(dir / name, 2);
    cfg.train.loss.concept = concept;
    cfg.train.loss.reconstruction = reconstruction;
    cfg.train.tower_gradient = route;
    cfg.train.weight_decay = 0.0;
    cfg.runtime.apply();
    Stage1Recipe recipe(cfg, c10::Device(c10::kCPU));
    std::map<std::string, at::Tensor> before;
    for (const auto& item : recipe.setok()->named_parameters())
      before[item.key()] = item.value().detach().clone();
    TrainerOptions o;
    o.train = cfg.train;
    o.data = cfg.data;
    o.tensorboard = false;
    Trainer(recipe, o).fit(false);
    std::map<std::string, bool> out;
    for (const auto& item : recipe.setok()->named_parameters()) {
      const std::string& k = item.key();
      const std::string area = k.substr(0, k.find('.', k.find('.') + 1));  // tokenizer.vision_tower
      out[area] = out[area] || !at::equal(item.value(), before[k]);
    }
    return out;
  };
  const auto none = changed("none", 0.0, "alignment");
  EXPECT_FALSE(none.at("tokenizer.vision_tower"));  // no alignment loss: the tower stays
  EXPECT_TRUE(none.at("tokenizer.merger"));         // reconstruction still trains the merger
  const auto aligned = changed("aligned", 0.1, "alignment");
  EXPECT_TRUE(aligned.at("tokenizer.vision_tower"));
  const auto all = changed("all", 0.0, "all");
  EXPECT_TRUE(all.at("tokenizer.vision_tower"));  // by default every loss reaches it
  // The mirror: only reconstruction moves the tower; without it (weight 0) the tower stays
  // while the concept loss still trains the merger and the contrastive head.
  EXPECT_TRUE(changed("rec", 0.1, "reconstruction").at("tokenizer.vision_tower"));
  const auto concept_only = changed("concept_only", 0.1, "reconstruction", 0.0);
  EXPECT_FALSE(concept_only.at("tokenizer.vision_tower"));
  EXPECT_TRUE(concept_only.at("tokenizer.merger"));
  EXPECT_TRUE(concept_only.at("contrastive.token_proj"));
}

// The PatchGAN path runs on the engine's second optimizer ("discriminator", from disc_start):
// its state is checkpointed by name and a resume is exact.
TEST(Stage1, GanOnTheSecondOptimizerResumesExactly) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  auto cfg = [&](const char* name) {
    Stage1Config c = tiny_config(dir / name, 6);
    c.train.loss.gan = 0.1;
    c.train.loss.disc_start = 2;
    return c;
  };
  run(cfg("straight"), false, 0);
  run(cfg("resumed"), false, 4);
  run(cfg("resumed"), true, 0);
  for (const char* file : {"model.safetensors", "extra.safetensors", "optimizer.safetensors"}) {
    const auto a = io::TensorStore::open(dir / "straight" / "checkpoints" / "step_6" / file);
    const auto b = io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_6" / file);
    ASSERT_EQ(a.names(), b.names()) << file;
    for (const auto& name : a.names()) EXPECT_TRUE(at::equal(a.get(name), b.get(name))) << name;
  }
  const auto opt =
      io::TensorStore::open(dir / "straight" / "checkpoints" / "step_6" / "optimizer.safetensors");
  EXPECT_TRUE(opt.contains("discriminator.optimizer.step"));
  EXPECT_EQ(opt.get("discriminator.optimizer.step").item<int64_t>(), 4);  // steps 2..5
  const auto rows = loss_rows(dir / "straight");
  EXPECT_FALSE(rows.front().contains("loss_disc"));  // steps 1-2: before disc_start
  EXPECT_TRUE(rows.back().contains("loss_disc"));
  EXPECT_EQ(rows, loss_rows(dir / "resumed"));
}

// With a frozen tower, checkpoints hold what trained and refer to the tower; the tokenizer
// loader takes the trained parts from the checkpoint and checks the configured tower is the one
// the run was trained with.
TEST(Stage1, CheckpointsReferToTheFrozenTower) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  Stage1Config cfg = tiny_config(dir / "frozen", 2);
  cfg.model.vision.trainable = false;
  run(cfg, false, 0);
  const fs::path step = dir / "frozen" / "checkpoints" / "step_2";
  const auto model = io::TensorStore::open(step / "model.safetensors");
  EXPECT_FALSE(model.contains("tokenizer.vision_tower.embeddings.patch_embedding.weight"));
  EXPECT_TRUE(model.contains("tokenizer.merger.out.weight"));
  const io::Json base = io::read_json(step / "trainer.json")["base"];
  EXPECT_EQ(base["source"], "vision: random init; text: random init");
  ASSERT_TRUE(base["parts"].contains("tokenizer"));
  // The same config and seed rebuild the same frozen tower: the trained merger loads on top.
  cfg.runtime.apply();
  tokenizer::SetokTokenizer tok(cfg.model.vision, cfg.model.tokenizer);
  tokenizer::load_tokenizer_weights(*tok, dir / "frozen");
  EXPECT_TRUE(at::equal(tok->merger->out->weight, model.get("tokenizer.merger.out.weight")));
  // Another seed builds another tower: refused, naming what to fix.
  Stage1Config other = cfg;
  other.runtime.seed = 5;
  other.runtime.apply();
  tokenizer::SetokTokenizer wrong(other.model.vision, other.model.tokenizer);
  const std::string e =
      test::error_of([&] { tokenizer::load_tokenizer_weights(*wrong, dir / "frozen"); });
  EXPECT_NE(e.find("set model.vision.pretrained to the base the run was trained on"),
            std::string::npos)
      << e;
}

TEST(Stage1, ConfigErrors) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  Stage1Config cfg = tiny_config(dir / "x", 4);
  cfg.model.text.tokenizer.clear();
  EXPECT_NE(
      test::error_of([&] { Stage1Recipe(cfg, c10::Device(c10::kCPU)); }).find("train.loss.concept"),
      std::string::npos);
  Stage1Config cfg2 = tiny_config(dir / "x", 4);
  cfg2.data.train[0].type = "edit";
  EXPECT_NE(
      test::error_of([&] { Stage1Recipe(cfg2, c10::Device(c10::kCPU)); }).find("data.train.0.type"),
      std::string::npos);
  Stage1Config cfg3 = tiny_config(dir / "x", 4);
  cfg3.data.train[0].path = (dir / "missing.json").string();
  EXPECT_NE(test::error_of([&] { config::check_files(cfg3); }).find("data.train.0.path"),
            std::string::npos);
  EXPECT_NE(
      test::error_of([&] { config::check_files(cfg3, {"data.train"}); }).find("data.train.0.path"),
      std::string::npos);
  // Inference checks only the sections it uses; "data.t" is not a section prefix of "data.train".
  EXPECT_NO_THROW(config::check_files(cfg3, {"model.vision", "model.tokenizer", "data.t"}));
  // Reader-specific keys belong to their reader; eval sets need distinct names.
  Stage1Config cfg4;
  const fs::path tiny = SETOK_SOURCE_DIR "/configs/setok_tiny.json";
  EXPECT_NE(
      test::error_of([&] {
        config::load(cfg4, tiny, {"data.train.0.annotations=a.json"});
      }).find("data.train.0.annotations: only coco_panoptic, vqav2 and okvqa read a second file"),
      std::string::npos);
  EXPECT_NE(test::error_of([&] {
              config::load(cfg4, tiny, {"data.eval.0.classes=c.txt"});
            }).find("data.eval.0.classes: only imagenet reads a class list"),
            std::string::npos);
  Stage1Config cfg5 = tiny_config(dir / "x", 4);
  cfg5.data.eval.push_back(cfg5.data.eval[0]);
  EXPECT_NE(test::error_of([&] { config::validate(cfg5); }).find("two eval sets are named"),
            std::string::npos);
  // A stage-1 dataset of a type stage 1 cannot read names the entry.
  DatasetEntry instruct;
  instruct.type = "instruct";
  instruct.path = "x.json";
  EXPECT_NE(test::error_of([&] {
              load_stage1_dataset(instruct, false, "data.eval.2");
            }).find("data.eval.2.type"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::train
