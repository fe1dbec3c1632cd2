// SigLIP towers beyond parity: feature selection, configs, input errors, the tower name map.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "fixtures.h"
#include "setok/io/fs.h"
#include "setok/io/safetensors.h"
#include "setok/vision/siglip_loader.h"
#include "setok/vision/siglip_model.h"
#include "temp_dir.h"

namespace setok::vision {
namespace {

using test::error_of;

SiglipVisionConfig tiny_vision() {
  SiglipVisionConfig c;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 2;
  c.image_size = 16;
  c.patch_size = 4;
  return c;
}

TEST(SiglipVision, FeaturesSelectHiddenStates) {
  at::manual_seed(0);
  SiglipVisionModel m(tiny_vision());
  m->eval();
  const at::Tensor px = at::randn({2, 3, 16, 16});
  const auto out = m->forward(px, true);
  ASSERT_EQ(out.hidden_states.size(), 4u);
  EXPECT_EQ(out.hidden_states[0].sizes(), (std::vector<int64_t>{2, 16, 16}));
  EXPECT_TRUE(at::allclose(m->features(px, -1), out.hidden_states[3]));
  EXPECT_TRUE(at::allclose(m->features(px, -2), out.hidden_states[2]));
  EXPECT_TRUE(at::allclose(m->features(px, 0), out.hidden_states[0]));
  EXPECT_TRUE(at::allclose(m->features(px, 1), out.hidden_states[1]));
  EXPECT_FALSE(at::allclose(out.last_hidden_state, out.hidden_states[3]));  // post-LN differs
  EXPECT_EQ(out.pooler_output.sizes(), (std::vector<int64_t>{2, 16}));
  EXPECT_NE(error_of([&] { m->features(px, 4); }).find("select_layer 4 is outside [-4, 3]"),
            std::string::npos);
  EXPECT_THROW(m->features(px, -5), Error);
}

TEST(SiglipVision, PatchesAreRasterOrdered) {
  // A bright patch at row 1, column 2 of the 4x4 grid shows up at token 1 * 4 + 2.
  at::manual_seed(1);
  SiglipVisionModel m(tiny_vision());
  at::NoGradGuard g;
  m->embeddings->position_embedding->weight.zero_();
  at::Tensor px = at::zeros({1, 3, 16, 16});
  px.narrow(2, 4, 4).narrow(3, 8, 4).fill_(5.0);
  const at::Tensor e = m->embeddings->forward(px);  // [1, 16, 16]
  const at::Tensor norms = (e[0] - e[0][0]).norm(2, {1});
  EXPECT_EQ(norms.argmax().item<int64_t>(), 6);
}

TEST(SiglipVision, BadPixelsAreErrors) {
  SiglipVisionModel m(tiny_vision());
  EXPECT_NE(error_of([&] {
              m->forward(at::randn({1, 4, 16, 16}));
            }).find("expected pixel values [B, 3, 16, 16]"),
            std::string::npos);
  EXPECT_THROW(m->forward(at::randn({1, 3, 20, 20})), Error);
  EXPECT_THROW(m->forward(at::randn({3, 16, 16})), Error);
  EXPECT_NE(error_of([&] {
              m->forward(at::zeros({1, 3, 16, 16}, at::kByte));
            }).find("floating point"),
            std::string::npos);
}

TEST(SiglipText, BadIdsAreErrors) {
  SiglipTextConfig c;
  c.vocab_size = 50;
  c.hidden_size = 8;
  c.intermediate_size = 8;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.max_position_embeddings = 6;
  SiglipTextModel m(c);
  EXPECT_EQ(m->forward(at::zeros({2, 6}, at::kLong)).pooler_output.sizes(),
            (std::vector<int64_t>{2, 8}));
  EXPECT_NE(error_of([&] {
              m->forward(at::zeros({1, 7}, at::kLong));
            }).find("exceed max_position_embeddings"),
            std::string::npos);
  EXPECT_THROW(m->forward(at::full({1, 3}, 50, at::kLong)), Error);
  EXPECT_THROW(m->forward(at::zeros({1, 3}, at::kInt)), Error);
}

TEST(SiglipConfig, ParsesNestedAndVisionOnlyAndNamesBadFields) {
  const auto full = read_siglip_config(test::fixtures_dir() / "siglip_tiny" / "config.json");
  EXPECT_TRUE(full.has_text);
  EXPECT_EQ(full.vision.num_hidden_layers, 3);
  EXPECT_EQ(full.vision.patch_size, 8);
  EXPECT_EQ(full.text.vocab_size, 300);
  const auto only = parse_siglip_config(
      io::Json::parse(R"({"model_type": "siglip_vision_model", "hidden_size": 32,
                          "num_attention_heads": 4, "image_size": 64, "patch_size": 16})"),
      "v.json");
  EXPECT_FALSE(only.has_text);
  EXPECT_EQ(only.vision.grid(), 4);
  EXPECT_EQ(error_of([] {
              parse_siglip_config(io::Json::parse(R"({"model_type": "siglip",
                  "vision_config": {"hidden_size": "big"}})"),
                                  "c.json");
            }),
            "c.json: vision_config.hidden_size: expected integer, got \"big\"");
  EXPECT_NE(error_of([] {
              parse_siglip_config(io::Json::parse(R"({"model_type": "clip"})"), "c.json");
            }).find("is not a SigLIP config"),
            std::string::npos);
  // Sizes that are not a multiple of the patch floor, as HF's stride-p convolution does.
  const auto floored = parse_siglip_config(
      io::Json::parse(R"({"model_type": "siglip_vision_model", "hidden_size": 32,
                          "num_attention_heads": 4, "image_size": 30, "patch_size": 8})"),
      "v.json");
  EXPECT_EQ(floored.vision.grid(), 3);
  EXPECT_NE(error_of([] {
              parse_siglip_config(io::Json::parse(R"({"model_type": "siglip_vision_model",
                  "image_size": 6, "patch_size": 8})"),
                                  "c.json");
            }).find("at least patch_size"),
            std::string::npos);
}

// The paper's tower: HF google/siglip-so400m-patch14-384's config.json (its vision part, as
// published) gives 27 x 27 = 729 patches from 384-pixel images with 14-pixel patches; the
// tower built from it has 729 position embeddings and runs on 384 x 384 input.
TEST(SiglipConfig, So400mPatch14At384) {
  const auto c = read_siglip_config(SETOK_SOURCE_DIR
                                    "/tests/hf_configs/siglip-so400m-patch14-384/config.json");
  EXPECT_EQ(c.vision.image_size, 384);
  EXPECT_EQ(c.vision.patch_size, 14);
  EXPECT_EQ(c.vision.hidden_size, 1152);
  EXPECT_EQ(c.vision.intermediate_size, 4304);
  EXPECT_EQ(c.vision.num_hidden_layers, 27);
  EXPECT_EQ(c.vision.num_attention_heads, 16);
  EXPECT_EQ(c.vision.grid(), 27);
  EXPECT_EQ(c.vision.num_patches(), 729);
  // A narrow tower with the same geometry (the real one has 400 M parameters): the patch
  // convolution floors, the position table has 729 rows, the last 6 pixel rows are unseen.
  SiglipVisionConfig small = c.vision;
  small.hidden_size = 32;
  small.intermediate_size = 48;
  small.num_hidden_layers = 1;
  small.num_attention_heads = 4;
  SiglipVisionModel tower(small);
  tower->eval();
  EXPECT_EQ(tower->embeddings->position_embedding->weight.size(0), 729);
  at::manual_seed(0);
  at::Tensor px = at::randn({1, 3, 384, 384});
  const at::Tensor f = tower->features(px, -1);
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{1, 729, 32}));
  px.narrow(2, 378, 6).normal_();
  px.narrow(3, 378, 6).normal_();
  EXPECT_TRUE(at::equal(tower->features(px, -1), f));
}

TEST(SiglipLoader, VisionNameMapDropsTextTowerAndReportsMissingWeights) {
  const auto folder = test::fixtures_dir() / "siglip_tiny";
  SiglipVisionModel tower = load_siglip_vision(folder);
  const auto store = io::SafetensorsFile::open(folder / "model.safetensors");
  EXPECT_TRUE(at::equal(tower->encoder->block(1)->self_attn->q_proj->weight,
                        store->tensor("vision_model.encoder.layers.1.self_attn.q_proj.weight")));
  EXPECT_TRUE(at::equal(tower->head->attention->in_proj_weight,
                        store->tensor("vision_model.head.attention.in_proj_weight")));
  // A checkpoint without one tower weight fails strictly, naming it.
  test::TempDir dir;
  io::NamedTensors partial;
  for (const auto& name : store->names()) {
    if (name != "vision_model.post_layernorm.bias") partial.emplace_back(name, store->tensor(name));
  }
  io::save_safetensors(dir / "model.safetensors", partial);
  std::filesystem::copy_file(folder / "config.json", dir / "config.json");
  EXPECT_NE(error_of([&] { load_siglip_vision(dir.path()); }).find("missing: post_layernorm.bias"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::vision
