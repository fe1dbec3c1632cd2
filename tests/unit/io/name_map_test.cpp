#include "setok/io/name_map.h"

#include <gtest/gtest.h>

#include "setok/runtime/error.h"

namespace setok::io {
namespace {

TEST(NameMap, EmptyMapIsIdentity) {
  NameMap map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.map("a.b.c"), "a.b.c");
}

TEST(NameMap, RulesApplyInOrderToTheResultOfThePreviousOne) {
  NameMap map;
  map.prefix("vision_model.encoder.layers.", "layers.")
      .replace(".self_attn.", ".attn.")
      .regex(R"(^layers\.(\d+)\.mlp\.fc(\d)\.)", "blocks.$1.fc$2.");
  EXPECT_EQ(map.map("vision_model.encoder.layers.3.self_attn.q_proj.weight"),
            "layers.3.attn.q_proj.weight");
  EXPECT_EQ(map.map("vision_model.encoder.layers.11.mlp.fc2.bias"), "blocks.11.fc2.bias");
  // A prefix rule only matches at the start.
  EXPECT_EQ(map.map("x.vision_model.encoder.layers.0.w"), "x.vision_model.encoder.layers.0.w");
}

TEST(NameMap, ReplaceHandlesEveryOccurrence) {
  NameMap map;
  map.replace("ab", "abab");  // replacement contains the pattern: must not loop forever
  EXPECT_EQ(map.map("ab.ab"), "abab.abab");
}

TEST(NameMap, IgnoreMatchesTheOriginalWholeName) {
  NameMap map;
  map.prefix("model.", "").ignore(R"(.*rotary_emb\.inv_freq)");
  EXPECT_EQ(map.map("model.layers.0.self_attn.rotary_emb.inv_freq"), std::nullopt);
  EXPECT_EQ(map.map("model.norm.weight"), "norm.weight");
  EXPECT_FALSE(map.empty());
}

TEST(NameMap, BadPatternIsAnError) {
  NameMap map;
  EXPECT_THROW(map.regex("(unclosed", "x"), Error);
  EXPECT_THROW(map.ignore("[z-a]"), Error);
  EXPECT_THROW(map.replace("", "x"), Error);
}

}  // namespace
}  // namespace setok::io
