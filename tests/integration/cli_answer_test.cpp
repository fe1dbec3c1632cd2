// `setok_infer vqa | caption | generate | edit | reconstruct` end to end on tiny runs trained
// here for two steps: a list mixing good lines with each kind of bad one gives results for the
// good ones and an error record per bad one (exit code 1); a re-run answers only what is
// missing; --strict stops at the first error; seeded runs repeat exactly; images land beside
// results.jsonl.
#include <gtest/gtest.h>

#include "run_cli.h"
#include "scene_world.h"
#include "setok/config/config.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/train/setokim_recipe.h"
#include "setok/train/stage1.h"
#include "temp_dir.h"

namespace setok::test {
namespace {

namespace fs = std::filesystem;

// Trains `Recipe` on `config` (file + overrides) into `dir`/run, as the apps do.
template <class Recipe, class Config>
void train_run(const char* config_file, const std::vector<std::string>& sets, const fs::path& dir) {
  Config cfg;
  std::vector<std::string> all = sets;
  all.push_back("train.run_dir=" + (dir / "run").string());
  config::load(cfg, std::string(SETOK_SOURCE_DIR) + "/configs/" + config_file, all);
  cfg.runtime.apply();
  Recipe recipe(cfg, c10::Device(c10::kCPU));
  train::TrainerOptions o;
  o.train = cfg.train;
  o.data = cfg.data;
  o.tensorboard = false;
  o.seed = static_cast<uint64_t>(cfg.runtime.seed);
  o.resolved_config = config::to_json(cfg);
  train::Trainer(recipe, o).fit(false);
}

// A stage-3 run of two steps on the scene world (random SeTok, tiny LLM), made once.
const fs::path& tiny_run() {
  static TempDir dir;
  static const bool made = [] {
    const fs::path w = scene_world();
    train_run<train::SetokimRecipe, train::SetokimConfig>(
        "setokim_tiny_finetune.json",
        {"model.setok_checkpoint=",
         "model.llm.tokenizer=" + (w / "spm" / "tokenizer.model").string(),
         "model.llm.hidden_size=32",
         "model.llm.intermediate_size=64",
         "model.llm.layers=1",
         "model.diffusion.width=32",
         "model.diffusion.depth=1",
         "train.steps=2",
         "train.batch_size=2",
         "train.warmup_steps=1",
         "train.eval_every=0",
         "train.checkpoint_every=2",
         "train.init_from=",
         "runtime.threads=1",
         "data.workers=1",
         "data.train.0.path=" + (w / "train" / "instruct.json").string(),
         "data.train.0.image_root=" + w.string(),
         "data.train.1.path=" + (w / "train" / "edit.json").string(),
         "data.train.1.image_root=" + w.string(),
         "data.train.2.path=" + (w / "train" / "pair.json").string(),
         "data.train.2.image_root=" + w.string(),
         "data.eval.0.path=" + (w / "heldout" / "instruct.json").string(),
         "data.eval.0.image_root=" + w.string(),
         "data.eval.1.path=" + (w / "heldout" / "edit.json").string(),
         "data.eval.1.image_root=" + w.string(),
         "data.eval.2.path=" + (w / "heldout" / "pair.json").string(),
         "data.eval.2.image_root=" + w.string()},
        dir.path());
    return true;
  }();
  (void)made;
  return dir.path();
}

// A stage-1 run of two steps on the scene world, made once.
const fs::path& tiny_stage1_run() {
  static TempDir dir;
  static const bool made = [] {
    const fs::path w = scene_world();
    train_run<train::Stage1Recipe, train::Stage1Config>(
        "setok_tiny.json",
        {"model.text.tokenizer=" + (w / "spm" / "tokenizer.model").string(),
         "data.train.0.path=" + (w / "train" / "pair.json").string(),
         "data.train.0.image_root=" + w.string(),
         "data.eval.0.path=" + (w / "heldout" / "pair.json").string(),
         "data.eval.0.image_root=" + w.string(), "train.steps=2", "train.batch_size=2",
         "train.warmup_steps=1", "train.checkpoint_every=2", "train.eval_every=0",
         "train.sample_every=0", "runtime.threads=1"},
        dir.path());
    return true;
  }();
  (void)made;
  return dir.path();
}

CliRun infer(const std::string& args) {
  return run_command(std::string(SETOK_INFER_BIN) + " " + args + " --log-level warn");
}

std::string lines(const std::vector<std::string>& rows) {
  std::string s;
  for (const auto& r : rows) s += r + "\n";
  return s;
}

TEST(CliAnswer, GoodAndBadLinesResumeAndStrict) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  const fs::path run = tiny_run() / "run";
  TempDir dir;
  const io::Json scenes = io::read_json(scene_world() / "heldout" / "instruct.json");
  for (int i = 0; i < 3; ++i)
    fs::copy_file(scene_world() / scenes[i]["image"].get<std::string>(),
                  dir / ("s" + std::to_string(i) + ".png"));
  io::write_file_atomic(dir / "broken.png", "not a png");
  io::write_file_atomic(
      dir / "list.jsonl",
      lines({R"({"id": "a", "image": "s0.png", "question": "How many objects are there?"})",
             R"({"id": 7, "image": "s1.png", "question": "What color is the circle?"})",
             R"({"id": "b", "image": "missing.png", "question": "?"})",  // line 3
             R"(not json at all)",                                       // line 4
             "",
             R"({"id": "c", "image": "broken.png", "question": "?"})",   // line 6
             R"({"id": "a", "image": "s2.png", "question": "again?"})",  // line 7: repeated id
             R"({"id": "d", "image": "s2.png"})",                        // line 8: no question
             R"(["an", "array"])",                                       // line 9
             R"({"id": "e", "image": "s2.png", "question": "Where is it?"})"}));
  const std::string base = "vqa --checkpoint " + run.string() + " --list " +
                           (dir / "list.jsonl").string() + " --batch 2 --out ";
  CliRun r = infer(base + (dir / "out").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("3 answered, 6 failed, 0 already answered"), std::string::npos) << r.out;
  std::vector<io::Json> results = io::read_jsonl(dir / "out" / "results.jsonl");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["id"], "a");
  EXPECT_EQ(results[1]["id"], 7);  // the id as the request wrote it
  EXPECT_EQ(results[2]["id"], "e");
  for (const auto& row : results) {
    EXPECT_TRUE(row["answer"].is_string()) << row.dump();
    EXPECT_GE(row["image_tokens"].get<int64_t>(), 1);
  }
  std::map<int64_t, io::Json> errors;
  for (const auto& e : io::read_jsonl(dir / "out" / "errors.jsonl"))
    errors[e["line"].get<int64_t>()] = e;
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_NE(errors[3]["error"].get<std::string>().find("missing.png: no such file"),
            std::string::npos);
  EXPECT_EQ(errors[3]["id"], "b");
  EXPECT_NE(errors[4]["error"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_FALSE(errors[4].contains("id"));
  EXPECT_NE(errors[6]["error"].get<std::string>().find("broken.png: cannot decode"),
            std::string::npos);
  EXPECT_NE(errors[7]["error"].get<std::string>().find("appears on an earlier line"),
            std::string::npos);
  EXPECT_NE(errors[8]["error"].get<std::string>().find("needs \"question\""), std::string::npos);
  EXPECT_NE(errors[9]["error"].get<std::string>().find("expected an object"), std::string::npos);

  // The same out: the answered ids are skipped, the failures tried again.
  r = infer(base + (dir / "out").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("0 answered, 6 failed, 3 already answered"), std::string::npos) << r.out;
  EXPECT_EQ(io::read_jsonl(dir / "out" / "results.jsonl").size(), 3u);
  EXPECT_EQ(io::read_jsonl(dir / "out" / "errors.jsonl").size(), 6u);

  // Only good lines: exit 0; seeded sampling repeats exactly.
  io::write_file_atomic(dir / "good.jsonl",
                        lines({R"({"id": "a", "image": "s0.png", "question": "How many?"})",
                               R"({"id": "e", "image": "s2.png", "question": "Where?"})"}));
  const std::string sampled = "vqa --checkpoint " + run.string() + " --list " +
                              (dir / "good.jsonl").string() +
                              " --temperature 1 --top-k 0 --seed 5 --out ";
  ASSERT_EQ(infer(sampled + (dir / "g1").string()).code, 0);
  ASSERT_EQ(infer(sampled + (dir / "g2").string()).code, 0);
  EXPECT_EQ(io::read_file(dir / "g1" / "results.jsonl"),
            io::read_file(dir / "g2" / "results.jsonl"));

  // --strict stops at the first error, after writing what came before.
  r = infer(base + (dir / "strict").string() + " --strict");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("setok_infer: error: line 3 (id b):"), std::string::npos) << r.out;
}

// The tiny run trains on the world's conversations, which ask their questions as written: by
// default `vqa` asks the same way (as --answer-style plain does), and LLaVA's short prompt, which
// the run never saw, is a warning.
TEST(CliAnswer, AsksInTheRunsAnswerStyleByDefault) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  const fs::path run = tiny_run() / "run";
  TempDir dir;
  const io::Json scenes = io::read_json(scene_world() / "heldout" / "instruct.json");
  const std::string image = (scene_world() / scenes[0]["image"].get<std::string>()).string();
  io::write_file_atomic(dir / "list.jsonl",
                        lines({"{\"id\": 1, \"image\": \"" + image +
                                   "\", \"question\": \"How many objects are in the image?\"}",
                               "{\"id\": 2, \"image\": \"" + image +
                                   "\", \"question\": \"What color is the circle?\"}"}));
  const auto vqa = [&](const std::string& out, const std::string& extra) {
    return run_command(std::string(SETOK_INFER_BIN) + " vqa --checkpoint " + run.string() +
                       " --list " + (dir / "list.jsonl").string() + " --out " +
                       (dir / out).string() + " --log-level info" + extra);
  };
  CliRun r = vqa("default", "");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("answer style: plain"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("never saw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 answered, 0 failed, 0 already answered, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" empty answers -> "), std::string::npos) << r.out;
  r = vqa("plain", " --answer-style plain");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(io::read_file(dir / "default" / "results.jsonl"),
            io::read_file(dir / "plain" / "results.jsonl"));
  r = vqa("short", " --answer-style short");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("asking in answer style short, which the run never saw (it was trained "
                       "with plain)"),
            std::string::npos)
      << r.out;
}

TEST(CliAnswer, CaptionAndUsageErrors) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  const fs::path run = tiny_run() / "run";
  TempDir dir;
  const io::Json scenes = io::read_json(scene_world() / "heldout" / "pair.json");
  io::write_file_atomic(dir / "list.jsonl",
                        "{\"id\": \"x\", \"image\": \"" +
                            (scene_world() / scenes[0]["image"].get<std::string>()).string() +
                            "\"}\n");
  CliRun r = infer("caption --checkpoint " + run.string() + " --list " +
                   (dir / "list.jsonl").string() + " --out " + (dir / "out").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto results = io::read_jsonl(dir / "out" / "results.jsonl");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0]["caption"].is_string());
  // A step folder finds its run's config; a folder without one asks for --config.
  r = infer("caption --checkpoint " + (run / "checkpoints" / "step_2").string() + " --list " +
            (dir / "list.jsonl").string() + " --out " + (dir / "out2").string());
  EXPECT_EQ(r.code, 0) << r.out;
  r = infer("caption --checkpoint " + dir.path().string() + " --list " +
            (dir / "list.jsonl").string() + " --out " + (dir / "out3").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no config.resolved.json in the run folder; give --config"),
            std::string::npos)
      << r.out;
  r = infer("vqa --checkpoint " + run.string() + " --list " + (dir / "none.jsonl").string() +
            " --out " + (dir / "out4").string());
  EXPECT_EQ(r.code, 1) << r.out;
}

TEST(CliAnswer, GenerateEditReconstruct) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  const fs::path run = tiny_run() / "run";
  TempDir dir;
  const io::Json scenes = io::read_json(scene_world() / "heldout" / "pair.json");
  const std::string scene = (scene_world() / scenes[0]["image"].get<std::string>()).string();
  io::write_file_atomic(dir / "gen.jsonl",
                        lines({R"({"id": "a/b", "prompt": "two red circles"})",
                               R"({"id": "c", "prompt": "a blue star"})", R"({"id": "d"})"}));
  // A two-step model does not write <im_start> by itself: start the image at once.
  const std::string gen = "generate --checkpoint " + run.string() + " --list " +
                          (dir / "gen.jsonl").string() +
                          " --max-text-tokens 0 --num-iter 2 --max-tokens 4 --out ";
  CliRun r = infer(gen + (dir / "g1").string());
  EXPECT_EQ(r.code, 1) << r.out;  // "d" has no prompt
  EXPECT_NE(r.out.find("2 answered, 1 failed"), std::string::npos) << r.out;
  const auto rows = io::read_jsonl(dir / "g1" / "results.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    const std::string name = row["image"].get<std::string>();
    EXPECT_EQ(name.find('/'), std::string::npos) << name;  // odd characters never make paths
    EXPECT_EQ(io::read_image(dir / "g1" / name).sizes(), (at::IntArrayRef{3, 64, 64}));
    EXPECT_GE(row["tokens"].get<int64_t>(), 1);
    EXPECT_LE(row["tokens"].get<int64_t>(), 4);
  }
  EXPECT_NE(rows[0]["image"].get<std::string>().rfind("a_b-", 0), std::string::npos);
  EXPECT_EQ(rows[1]["image"], "c.png");
  ASSERT_EQ(infer(gen + (dir / "g2").string()).code, 1);  // seeded: the same images
  EXPECT_EQ(io::read_file(dir / "g1" / "c.png"), io::read_file(dir / "g2" / "c.png"));
  // Edit: the source image in the prompt; a missing one fails its request only.
  io::write_file_atomic(dir / "edit.jsonl",
                        lines({"{\"id\": \"e\", \"image\": \"" + scene +
                                   "\", \"instruction\": \"make the star red\"}",
                               R"({"id": "m", "image": "missing.png", "instruction": "x"})"}));
  r = infer("edit --checkpoint " + run.string() + " --list " + (dir / "edit.jsonl").string() +
            " --max-text-tokens 0 --num-iter 2 --num-tokens 3 --cfg 2 --out " +
            (dir / "e").string());
  EXPECT_EQ(r.code, 1) << r.out;
  const auto edited = io::read_jsonl(dir / "e" / "results.jsonl");
  ASSERT_EQ(edited.size(), 1u);
  EXPECT_EQ(edited[0]["tokens"], 3);
  EXPECT_NE(io::read_file(dir / "e" / "errors.jsonl").find("missing.png: no such file"),
            std::string::npos);
  // Reconstruct with a stage-1 run: its token count and the detokenizer's picture.
  io::write_file_atomic(dir / "recon.jsonl", "{\"id\": 1, \"image\": \"" + scene + "\"}\n");
  r = infer("reconstruct --checkpoint " + (tiny_stage1_run() / "run").string() + " --list " +
            (dir / "recon.jsonl").string() + " --out " + (dir / "r").string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto rec = io::read_jsonl(dir / "r" / "results.jsonl");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0]["image"], "1.png");
  EXPECT_EQ(io::read_image(dir / "r" / "1.png").sizes(), (at::IntArrayRef{3, 64, 64}));
}

}  // namespace
}  // namespace setok::test
