// Every config shipped in configs/ loads and validates against the current schema.
#include <gtest/gtest.h>

#include <filesystem>

#include "setok/config/config.h"
#include "setok/config/setok_config.h"

namespace setok::config {
namespace {

TEST(ShippedConfigs, SetokConfigsLoad) {
  const std::filesystem::path dir = SETOK_SOURCE_DIR "/configs";
  int loaded = 0;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    const std::string name = item.path().filename().string();
    if (name.rfind("setok_", 0) != 0 || item.path().extension() != ".json") continue;
    SetokConfig cfg;
    EXPECT_NO_THROW(load(cfg, item.path())) << name;
    ++loaded;
  }
  EXPECT_GE(loaded, 1);
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
