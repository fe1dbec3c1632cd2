#include "setok/infer/inspect.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "fixtures.h"
#include "setok/io/checkpoint.h"
#include "setok/io/safetensors.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::infer {
namespace {

namespace fs = std::filesystem;

TEST(Inspect, ShardedLlamaFolder) {
  const auto result = inspect(test::fixtures_dir() / "llama_tiny");
  ASSERT_EQ(result.groups.size(), 2u);  // the sharded model and reference.safetensors
  const auto& model = result.groups[0];
  EXPECT_EQ(model.label, "model.safetensors.index.json");
  EXPECT_TRUE(model.store.sharded());
  EXPECT_EQ(model.store.size(), 21u);
  EXPECT_EQ(model.num_parameters, 141632u);  // the index's metadata.total_parameters
  EXPECT_EQ(result.groups[1].label, "reference.safetensors");
  const std::string text = format_inspect(result);
  EXPECT_NE(text.find("21 tensors, 141632 parameters"), std::string::npos) << text;
  const size_t row = text.find("  model.layers.1.self_attn.k_proj.weight ");
  ASSERT_NE(row, std::string::npos) << text;
  const std::string line = text.substr(row, text.find('\n', row) - row);
  EXPECT_NE(line.find(" F32 "), std::string::npos) << line;
  EXPECT_NE(line.find(" [32, 64] "), std::string::npos) << line;
  EXPECT_NE(line.find(" 2048"), std::string::npos) << line;
  const io::Json j = inspect_json(result);
  EXPECT_EQ(j["groups"][0]["num_tensors"], 21);
  EXPECT_EQ(j["groups"][0]["files"].size(), 10u);
  EXPECT_EQ(j["groups"][0]["tensors"][0]["name"], "lm_head.weight");
  EXPECT_EQ(j["groups"][0]["tensors"][0]["shape"], io::Json::array({384, 64}));
}

TEST(Inspect, CheckpointRunFolderFollowsLatest) {
  test::TempDir dir;
  io::CheckpointDir ckpt(dir / "run" / "checkpoints");
  for (int step : {1, 2}) {
    ckpt.save(step, [&](const fs::path& f) {
      io::save_safetensors(f / "model.safetensors", {{"w", at::zeros({step, 3})}});
      io::save_safetensors(f / "optimizer.safetensors", {{"w.exp_avg", at::zeros({step, 3})}});
    });
  }
  const auto result = inspect(dir / "run");
  EXPECT_EQ(result.resolved, dir / "run" / "checkpoints" / "step_2");
  ASSERT_EQ(result.groups.size(), 2u);
  EXPECT_EQ(result.groups[0].label, "model.safetensors");
  EXPECT_EQ(result.groups[0].num_parameters, 6u);
  EXPECT_EQ(result.groups[1].label, "optimizer.safetensors");
}

TEST(Inspect, ErrorsNameThePath) {
  test::TempDir dir;
  EXPECT_THROW(inspect(dir / "missing"), Error);
  try {
    inspect(dir.path());
    FAIL() << "empty folder inspected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no .safetensors files"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace setok::infer
