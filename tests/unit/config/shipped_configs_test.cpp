// Every config shipped in configs/ loads and validates against the current schema.
#include <gtest/gtest.h>

#include <filesystem>

#include "errors.h"
#include "setok/config/config.h"
#include "setok/llm/llm_run_config.h"
#include "setok/train/setokim_config.h"
#include "setok/train/stage1_config.h"
#include "setok/vision/siglip_config.h"

namespace setok::config {
namespace {

// Every shipped config loads with the root config of its kind: setok_* are stage-1 runs,
// setokim_* stage-2 / stage-3 runs, llm_* LLM-only runs.
TEST(ShippedConfigs, EveryConfigLoads) {
  const std::filesystem::path dir = SETOK_SOURCE_DIR "/configs";
  int loaded = 0;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    const std::string name = item.path().filename().string();
    if (item.path().extension() != ".json") continue;
    if (name.rfind("setok_", 0) == 0) {
      train::Stage1Config cfg;
      EXPECT_NO_THROW(load(cfg, item.path())) << name;
    } else if (name.rfind("setokim_", 0) == 0) {
      train::SetokimConfig cfg;
      EXPECT_NO_THROW(load(cfg, item.path())) << name;
    } else if (name.rfind("llm_", 0) == 0) {
      llm::LlmRunConfig cfg;
      EXPECT_NO_THROW(load(cfg, item.path())) << name;
    } else {
      ADD_FAILURE() << name << ": no root config for this kind of file";
    }
    ++loaded;
  }
  EXPECT_GE(loaded, 4);
}

TEST(ShippedConfigs, LlmConfigsDescribeTheirModels) {
  llm::LlmRunConfig tiny, big;
  load(tiny, SETOK_SOURCE_DIR "/configs/llm_tiny.json");
  load(big, SETOK_SOURCE_DIR "/configs/llm_1b.json");
  const auto c = big.model.llm.architecture(0);
  EXPECT_EQ(c.kv_heads(), 4);
  EXPECT_EQ(c.head_size(), 64);
  EXPECT_EQ(tiny.model.llm.architecture(0).vocab_size, 512);
  // A bad llm section is an error naming its path.
  llm::LlmRunConfig bad;
  const std::string e = test::error_of(
      [&] { load(bad, SETOK_SOURCE_DIR "/configs/llm_tiny.json", {"model.llm.heads=3"}); });
  EXPECT_NE(e.find("model.llm"), std::string::npos) << e;
  EXPECT_NE(e.find("not a multiple of num_attention_heads"), std::string::npos) << e;
}

TEST(ShippedConfigs, TinyConfigValues) {
  train::Stage1Config cfg;
  load(cfg, SETOK_SOURCE_DIR "/configs/setok_tiny.json");
  EXPECT_EQ(cfg.model.vision.image_size, 64);
  EXPECT_TRUE(cfg.model.vision.pretrained.empty());
  EXPECT_EQ(cfg.model.vision.architecture().num_patches(), 256);  // 16 x 16 patches of 4 px
}

// configs/setok_so400m.json describes the published tower (its size keys hold the values of
// google/siglip-so400m-patch14-384's config.json, so a dry run without the weights builds the
// same architecture) and the released recipe's clustering (docs/tokenizer.md lists where we
// differ: parent distance).
TEST(ShippedConfigs, So400mMatchesThePublishedTowerAndReleasedClustering) {
  train::Stage1Config cfg;
  load(cfg, SETOK_SOURCE_DIR "/configs/setok_so400m.json", {"model.vision.pretrained="});
  const auto published = vision::read_siglip_config(
      SETOK_SOURCE_DIR "/tests/hf_configs/siglip-so400m-patch14-384/config.json");
  const auto arch = cfg.model.vision.architecture();
  EXPECT_EQ(arch.image_size, published.vision.image_size);
  EXPECT_EQ(arch.patch_size, published.vision.patch_size);
  EXPECT_EQ(arch.hidden_size, published.vision.hidden_size);
  EXPECT_EQ(arch.intermediate_size, published.vision.intermediate_size);
  EXPECT_EQ(arch.num_hidden_layers, published.vision.num_hidden_layers);
  EXPECT_EQ(arch.num_attention_heads, published.vision.num_attention_heads);
  EXPECT_EQ(arch.num_patches(), 729);
  const auto& t = cfg.model.tokenizer;
  EXPECT_EQ(t.k, 64);             // released: k defaults to min_cluster_num = 64
  EXPECT_EQ(t.min_clusters, 64);  // released: top-64 fallback
  EXPECT_DOUBLE_EQ(t.threshold, 0.55);
  EXPECT_EQ(t.parent_distance, "global_max");  // released: column_max (a porting slip)
  EXPECT_DOUBLE_EQ(t.dropout, 0.2);
  EXPECT_EQ(t.out_dim, 4096);
}

}  // namespace
}  // namespace setok::config
