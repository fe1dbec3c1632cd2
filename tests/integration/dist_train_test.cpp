// Data-parallel training over c10d Gloo on loopback, through the real setok_train binary and
// scripts/launch.sh: 2 ranks reproduce 1 process with the same global batch, resume across
// world sizes, refuse mismatched configs and stop when a rank dies.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <ATen/ATen.h>

#include "free_port.h"
#include "local_ranks.h"
#include "run_cli.h"
#include "scene_world.h"
#include "setok/io/checkpoint.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/strings.h"
#include "temp_dir.h"

namespace setok::test {
namespace {

namespace fs = std::filesystem;

const std::string kSource = SETOK_SOURCE_DIR;

// setok_train's arguments for configs/setok_tiny.json on the generated world.
std::string tiny_args(const fs::path& run_dir, int64_t steps, int64_t batch,
                      const std::string& extra = "") {
  const fs::path w = scene_world();
  std::ostringstream a;
  a << "--config " << kSource << "/configs/setok_tiny.json"
    << " --set model.text.tokenizer=" << (w / "spm" / "tokenizer.model").string()
    << " --set data.train.0.path=" << (w / "train" / "pair.json").string()
    << " --set data.train.0.image_root=" << w.string()
    << " --set data.eval.0.path=" << (w / "heldout" / "pair.json").string()
    << " --set data.eval.0.image_root=" << w.string() << " --set train.run_dir=" << run_dir.string()
    << " --set train.steps=" << steps << " --set train.batch_size=" << batch
    << " --set train.warmup_steps=2 --set train.checkpoint_every=5 --set train.eval_every=0"
    << " --set train.sample_every=0 --set log.tensorboard=false --set log.every=5"
    << " --set data.workers=1 --set runtime.threads=1 --set dist.timeout_s=60 " << extra;
  return a.str();
}

// setok_finetune's arguments for the tiny stage 3 (LoRA over a random tiny LLM, random SeTok)
// on the generated world's instruct / edit / pair mixture.
std::string setokim_args(const fs::path& run_dir, int64_t steps, int64_t batch,
                         const std::string& extra = "") {
  const fs::path w = scene_world();
  std::ostringstream a;
  a << "--config " << kSource << "/configs/setokim_tiny_finetune.json"
    << " --set model.setok_checkpoint= --set train.init_from="
    << " --set model.llm.tokenizer=" << (w / "spm" / "tokenizer.model").string()
    << " --set model.llm.hidden_size=32 --set model.llm.intermediate_size=64"
    << " --set model.llm.layers=1 --set model.diffusion.width=64 --set model.diffusion.depth=1";
  const char* kinds[] = {"instruct", "edit", "pair"};
  for (int i = 0; i < 3; ++i) {
    a << " --set data.train." << i << ".path=" << (w / "train" / kinds[i]).string() << ".json"
      << " --set data.train." << i << ".image_root=" << w.string();
  }
  for (int i = 0; i < 3; ++i) {
    a << " --set data.eval." << i << ".path=" << (w / "heldout" / kinds[i]).string() << ".json"
      << " --set data.eval." << i << ".image_root=" << w.string();
  }
  a << " --set train.run_dir=" << run_dir.string() << " --set train.steps=" << steps
    << " --set train.batch_size=" << batch
    << " --set train.warmup_steps=2 --set train.checkpoint_every=5 --set train.eval_every=0"
    << " --set train.eval_batches=0 --set log.tensorboard=false --set log.every=5"
    << " --set data.workers=1"
    << " --set runtime.threads=1 --set dist.timeout_s=60 " << extra;
  return a.str();
}

std::string train_bin() {
  return std::string(SETOK_TRAIN_BIN);
}

// Two ranks started by hand with torchrun's variables (what `torchrun --no-python` sets).
std::string torchrun_style(int port, const std::string& bin, const std::string& args) {
  std::string cmd;
  for (int rank = 0; rank < 2; ++rank) {
    cmd += "RANK=" + std::to_string(rank) + " WORLD_SIZE=2 LOCAL_RANK=" + std::to_string(rank) +
           " LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " " +
           bin + " " + args + (rank == 0 ? " & " : "; r1=$?; wait $!; r0=$?; exit $((r0 | r1))");
  }
  return cmd;
}

std::string launch(int nproc, int port, const std::string& args,
                   const std::string& bin = train_bin()) {
  return "SETOK_BUILD_DIR=" + std::string(SETOK_BUILD_DIR) + " bash " + kSource +
         "/scripts/launch.sh --nproc " + std::to_string(nproc) +
         " --master 127.0.0.1:" + std::to_string(port) + " " + bin + " " + args;
}

// The trained tensors of a run's latest checkpoint.
std::map<std::string, at::Tensor> weights(const fs::path& run_dir) {
  const auto latest = io::CheckpointDir(run_dir / "checkpoints", 2).latest();
  EXPECT_TRUE(latest.has_value()) << run_dir;
  std::map<std::string, at::Tensor> out;
  if (!latest) return out;
  const io::TensorStore store = io::TensorStore::open(*latest / "model.safetensors");
  for (const auto& name : store.names()) out[name] = store.get(name).to(at::kDouble);
  return out;
}

// Relative difference of two runs' trained parameters, ||a - b|| / ||a|| over all of them
// together (both runs must hold the same names). Attention key biases are left out: softmax is
// invariant to them, so their gradient is zero in exact arithmetic and what they hold is rounding
// noise that AdamW's normalisation turns into lr-sized steps (measured after 10 steps of stage 1,
// 1 process against 2 ranks: those near zero differ by their own size, the rest agree to 3e-7).
double relative_difference(const fs::path& a_dir, const fs::path& b_dir) {
  const auto a = weights(a_dir), b = weights(b_dir);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_FALSE(a.empty());
  double diff = 0, norm = 0;
  for (const auto& [name, t] : a) {
    const auto it = b.find(name);
    if (it == b.end()) {
      ADD_FAILURE() << name << " missing from " << b_dir;
      continue;
    }
    if (runtime::ends_with(name, "k_proj.bias") || runtime::ends_with(name, "key.bias")) continue;
    diff += (t - it->second).pow(2).sum().item<double>();
    norm += t.pow(2).sum().item<double>();
  }
  return std::sqrt(diff / std::max(norm, 1e-24));
}

// Two runs trained the same parameters (relative_difference below 1e-6); the measured number is
// printed for the record.
void expect_same_training(const fs::path& a_dir, const fs::path& b_dir) {
  const double d = relative_difference(a_dir, b_dir);
  std::cout << "relative difference " << a_dir.filename() << " / " << b_dir.filename() << ": " << d
            << "\n";
  EXPECT_LT(d, 1e-6) << a_dir << " / " << b_dir;
}

// The last evaluations of two runs (eval.json) agree: every number within `tolerance` relative.
void expect_same_evaluation(const fs::path& a_dir, const fs::path& b_dir, double tolerance) {
  const io::Json a = io::read_json(a_dir / "eval.json")["last"],
                 b = io::read_json(b_dir / "eval.json")["last"];
  int compared = 0;
  for (const auto& [set, metrics] : a.items()) {
    if (!metrics.is_object()) continue;
    ASSERT_TRUE(b.contains(set)) << set;
    for (const auto& [key, value] : metrics.items()) {
      if (!value.is_number()) continue;
      ASSERT_TRUE(b[set].contains(key)) << set << "." << key;
      const double x = value.get<double>(), y = b[set][key].get<double>();
      EXPECT_LE(std::abs(x - y), tolerance * std::max(std::abs(x), 1e-3))
          << set << "." << key << ": " << x << " vs " << y;
      ++compared;
    }
  }
  EXPECT_GT(compared, 0) << a_dir;
}

// The run's final evaluation (sharded over its ranks, batches of train.batch_size per rank)
// against one process evaluating the same checkpoint with the same batch size (`--eval-only` on
// a copy of the run): contrastive evaluation losses depend on the batch, so the batch size stays.
void expect_sharded_evaluation_matches_one_process(const std::string& bin, const fs::path& run,
                                                   const std::string& args_for_copy) {
  const fs::path copy = run.string() + "_eval_only";
  fs::copy(run, copy, fs::copy_options::recursive);
  const CliRun r = run_command(bin + " " + args_for_copy + " --eval-only");
  ASSERT_EQ(r.code, 0) << r.out;
  expect_same_evaluation(run, copy, 1e-4);
}

io::Json latest_trainer_state(const fs::path& run_dir) {
  const auto latest = io::CheckpointDir(run_dir / "checkpoints", 2).latest();
  return latest ? io::read_json(*latest / "trainer.json") : io::Json();
}

class DistTrain : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!io::has_image_support())
      GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
    SETOK_SKIP_WITHOUT_GLOO();
  }
};

// 10 steps of global batch 8: one process of 8 against two ranks of 4 (contrastive negatives
// gathered across the ranks, losses normalised over the global batch, per-sample clustering
// noise).
TEST_F(DistTrain, TwoRanksMatchOneProcess) {
  TempDir dir;
  const CliRun one = run_command(train_bin() + " " + tiny_args(dir / "one", 10, 8));
  ASSERT_EQ(one.code, 0) << one.out;
  const CliRun two = run_command(launch(2, free_port(), tiny_args(dir / "two", 10, 4)));
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_NE(two.out.find("data parallel: 2 ranks (gloo), global batch 8"), std::string::npos)
      << two.out;
  EXPECT_NE(two.out.find("averaged during the backward pass (c10d Reducer"), std::string::npos)
      << two.out;
  expect_same_training(dir / "one", dir / "two");
  // The held-out set (8 scenes) was evaluated as a batch of 4 on each rank and gathered: the
  // numbers one process gets, concept retrieval and grounding included.
  expect_sharded_evaluation_matches_one_process(train_bin(), dir / "two",
                                                tiny_args(dir / "two_eval_only", 10, 4));
  EXPECT_TRUE(
      io::read_json(dir / "two" / "eval.json")["last"]["heldout"].contains("retrieval_accuracy"));
  // Rank 0 writes; the second rank's cursor is saved beside its own.
  const io::Json state = latest_trainer_state(dir / "two");
  EXPECT_EQ(state["world"], 2);
  EXPECT_EQ(state["positions"], io::Json::array({20, 20}));
  EXPECT_EQ(state["samples"], 80);
  EXPECT_TRUE(fs::exists(dir / "two" / "train.rank1.log"));
  // The concept loss ran (it is what crosses the ranks).
  const auto rows = io::read_jsonl(dir / "two" / "metrics.jsonl");
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(rows.back().contains("loss_concept"));
  // The same ranks started with torchrun's variables instead of launch.sh: the same run.
  const CliRun env =
      run_command(torchrun_style(free_port(), train_bin(), tiny_args(dir / "torchrun", 10, 4)));
  ASSERT_EQ(env.code, 0) << env.out;
  EXPECT_EQ(relative_difference(dir / "two", dir / "torchrun"), 0.0);
}

// Stage 3 with LoRA (a frozen LLM base, frozen SeTok, conditional diffusion rows): 2 ranks x 4
// against 1 process x 8 over the instruct / edit / pair mixture. Sequences, masks, diffusion
// draws and prompt dropout come from each sample's index, so the ranks' union is the one batch.
TEST_F(DistTrain, SetokimLoraTwoRanksMatchOneProcess) {
  TempDir dir;
  const std::string bin = SETOK_FINETUNE_BIN;
  // LoRA's dropout (0.05 in the config) masks activations from torch's per-process generator:
  // like PyTorch's DDP, it is not reproduced across world sizes (docs/distributed.md, Limits).
  const std::string no_dropout = "--set model.llm.lora.dropout=0 ";
  const CliRun one = run_command(bin + " " + setokim_args(dir / "one", 10, 8, no_dropout));
  ASSERT_EQ(one.code, 0) << one.out;
  const CliRun two =
      run_command(launch(2, free_port(), setokim_args(dir / "two", 10, 4, no_dropout), bin));
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_NE(two.out.find("data parallel: 2 ranks (gloo), global batch 8"), std::string::npos)
      << two.out;
  expect_same_training(dir / "one", dir / "two");
  expect_sharded_evaluation_matches_one_process(bin, dir / "two",
                                                setokim_args(dir / "two_eval_only", 10, 4));
  // Both loss terms ran, and the trained set holds LoRA adapters but no frozen base weight.
  const auto rows = io::read_jsonl(dir / "two" / "metrics.jsonl");
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(rows.back().contains("loss_text")) << rows.back().dump();
  EXPECT_TRUE(rows.back().contains("loss_diffusion")) << rows.back().dump();
  const auto trained = weights(dir / "two");
  int lora = 0;
  for (const auto& [name, w] : trained) {
    lora += name.find("lora_") != std::string::npos;
    EXPECT_EQ(name.find("mlp.up_proj.weight"), std::string::npos) << name << " is frozen";
  }
  EXPECT_GT(lora, 0);
}

// Gradient accumulation without synchronising the first micro-batch (2 ranks x 2 micro-batches
// of 2), and averaging after the backward pass instead of c10d's reducer, against one process of
// 8. (Reconstruction only: contrastive negatives come from each micro-batch, so the concept loss
// of an accumulated step is another loss.)
TEST_F(DistTrain, AccumulationAndPostBackwardAveragingMatch) {
  TempDir dir;
  const std::string no_concept = "--set train.loss.concept=0 ";
  CliRun r = run_command(train_bin() + " " + tiny_args(dir / "one", 10, 8, no_concept));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run_command(launch(2, free_port(),
                         tiny_args(dir / "accum", 10, 2, no_concept + "--set train.grad_accum=2")));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("global batch 8 = 2 per rank x 2 x 2 accumulation"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("averaged after the backward pass (gradient accumulation"),
            std::string::npos)
      << r.out;
  expect_same_training(dir / "one", dir / "accum");
  r = run_command(launch(2, free_port(),
                         tiny_args(dir / "after", 10, 4, no_concept + "--set dist.overlap=false")));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("averaged after the backward pass (dist.overlap is off)"), std::string::npos)
      << r.out;
  expect_same_training(dir / "one", dir / "after");
}

// Stopped after 5 steps on 2 ranks and resumed on 2 ranks, or on 1 process with the same global
// batch: both continue the straight run exactly (per-rank cursors; re-sharded on 1 process).
TEST_F(DistTrain, ResumeOnTheSameOrAnotherWorldSize) {
  TempDir dir;
  const int port = free_port();
  CliRun r = run_command(launch(2, port, tiny_args(dir / "straight", 10, 4)));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run_command(launch(2, port, tiny_args(dir / "same", 10, 4, "--stop-after 5")));
  ASSERT_EQ(r.code, 0) << r.out;
  fs::copy(dir / "same", dir / "other", fs::copy_options::recursive);
  r = run_command(launch(2, port, tiny_args(dir / "same", 10, 4, "--resume")));
  ASSERT_EQ(r.code, 0) << r.out;
  expect_same_training(dir / "straight", dir / "same");

  r = run_command(train_bin() + " " + tiny_args(dir / "other", 10, 8, "--resume"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("resuming on 1"), std::string::npos) << r.out;
  expect_same_training(dir / "straight", dir / "other");
  const io::Json state = latest_trainer_state(dir / "other");
  EXPECT_EQ(state["world"], 1);
  EXPECT_EQ(state["positions"], io::Json::array({40}));  // 5 steps of 8 + 5 more
}

// Ranks started with different configs refuse to train.
TEST_F(DistTrain, ConfigMismatchIsRefused) {
  TempDir dir;
  const int port = free_port();
  auto rank_cmd = [&](int rank, const std::string& extra) {
    return "RANK=" + std::to_string(rank) + " WORLD_SIZE=2 LOCAL_RANK=" + std::to_string(rank) +
           " LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " " +
           train_bin() + " " + tiny_args(dir / "run", 4, 4, extra) + " > " +
           (dir / ("rank" + std::to_string(rank) + ".out")).string() + " 2>&1";
  };
  const CliRun r =
      run_command("(" + rank_cmd(0, "") + ") & (" + rank_cmd(1, "--set train.lr=0.002") +
                  "); r1=$?; wait $!; r0=$?; " + "echo codes $r0 $r1");
  EXPECT_NE(r.out.find("codes 1 1"), std::string::npos) << r.out;
  const std::string out0 = io::read_file(dir / "rank0.out");
  EXPECT_NE(out0.find("the resolved config of rank(s) 1 differs from rank 0's"), std::string::npos)
      << out0;
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoints"));
}

// Killing one rank: launch.sh names it and exits non-zero; the surviving rank stops with an error
// instead of waiting forever.
TEST_F(DistTrain, DeadRankStopsTheOthers) {
  TempDir dir;
  const fs::path log = dir / "launch.log", rc = dir / "launch.rc";
  const std::string cmd = launch(
      2, free_port(),
      tiny_args(dir / "run", 100000, 4, "--set train.checkpoint_every=100000 --set log.every=1"));
  const std::string background = "(" + cmd + " > " + log.string() + " 2>&1; echo $? > " +
                                 rc.string() + ".tmp && mv " + rc.string() + ".tmp " + rc.string() +
                                 ") &";
  ASSERT_EQ(std::system(background.c_str()), 0);
  // Wait for training to run (metrics written), then kill rank 1.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!fs::exists(dir / "run" / "metrics.jsonl") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(fs::exists(dir / "run" / "metrics.jsonl")) << io::read_file(log);
  const std::string started = io::read_file(log);
  const size_t at = started.find("rank 1/2 pid ");
  ASSERT_NE(at, std::string::npos) << started;
  const pid_t pid = std::stoi(started.substr(at + 13));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  while (!fs::exists(rc) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(fs::exists(rc)) << "launch.sh did not finish: " << io::read_file(log);
  EXPECT_NE(std::stoi(io::read_file(rc)), 0);
  const std::string out = io::read_file(log);
  EXPECT_NE(out.find("launch.sh: rank 1 (pid " + std::to_string(pid) + ") was killed by signal 9"),
            std::string::npos)
      << out;
  // Rank 0 saw it in its next collective and stopped with its own message, before launch.sh's
  // grace period ran out.
  EXPECT_NE(out.find("another rank exited or stopped answering"), std::string::npos) << out;
}

}  // namespace
}  // namespace setok::test
