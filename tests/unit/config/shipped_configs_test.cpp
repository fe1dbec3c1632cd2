// Every config shipped in configs/ loads and validates against the current schema.
#include <gtest/gtest.h>

#include <filesystem>

#include "errors.h"
#include "setok/config/config.h"
#include "setok/config/setok_config.h"

namespace setok::config {
namespace {

TEST(ShippedConfigs, SetokConfigsLoad) {
  const std::filesystem::path dir = SETOK_SOURCE_DIR "/configs";
  int loaded = 0;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    const std::string name = item.path().filename().string();
    if ((name.rfind("setok_", 0) != 0 && name.rfind("llm_", 0) != 0) ||
        item.path().extension() != ".json")
      continue;
    SetokConfig cfg;
    EXPECT_NO_THROW(load(cfg, item.path())) << name;
    ++loaded;
  }
  EXPECT_GE(loaded, 4);
}

TEST(ShippedConfigs, LlmConfigsDescribeTheirModels) {
  SetokConfig tiny, big;
  load(tiny, SETOK_SOURCE_DIR "/configs/llm_tiny.json");
  load(big, SETOK_SOURCE_DIR "/configs/llm_1b.json");
  const auto c = big.model.llm.architecture(0);
  EXPECT_EQ(c.kv_heads(), 4);
  EXPECT_EQ(c.head_size(), 64);
  EXPECT_EQ(tiny.model.llm.architecture(0).vocab_size, 512);
  // A bad llm section is an error naming its path.
  SetokConfig bad;
  const std::string e = test::error_of(
      [&] { load(bad, SETOK_SOURCE_DIR "/configs/llm_tiny.json", {"model.llm.heads=3"}); });
  EXPECT_NE(e.find("model.llm"), std::string::npos) << e;
  EXPECT_NE(e.find("not a multiple of num_attention_heads"), std::string::npos) << e;
}

TEST(ShippedConfigs, TinyConfigValues) {
  SetokConfig cfg;
  load(cfg, SETOK_SOURCE_DIR "/configs/setok_tiny.json");
  EXPECT_EQ(cfg.model.vision.image_size, 64);
  EXPECT_TRUE(cfg.model.vision.pretrained.empty());
  EXPECT_EQ(cfg.model.vision.architecture().num_patches(), 64);
}

}  // namespace
}  // namespace setok::config
