#include "setok/detokenizer/setok_detokenizer.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>

#include "errors.h"
#include "fixtures.h"
#include "setok/io/safetensors.h"

namespace setok::detokenizer {
namespace {

using test::error_of;

DetokenizerConfig tiny(const std::string& head) {
  DetokenizerConfig c;
  c.image_size = 32;
  c.patch_size = 8;  // 16 queries
  c.qformer_hidden = 32;
  c.qformer_layers = 2;
  c.qformer_heads = 4;
  c.qformer_intermediate = 64;
  c.qformer_dropout = 0.0;
  c.decoder_width = 48;
  c.decoder_depth = 2;
  c.decoder_heads = 4;
  c.head = head;
  c.diffusion_width = 256;  // >= the 192 values of an 8 x 8 RGB patch
  c.diffusion_depth = 2;
  c.diffusion_steps = "20";
  c.diffusion_batch_mul = 2;
  return c;
}

// A target with structure: a horizontal gradient plus a bright square, in [-1, 1].
at::Tensor target_image() {
  at::Tensor img = at::linspace(-0.8, 0.8, 32).view({1, 1, 1, 32}).expand({1, 3, 32, 32}).clone();
  img.narrow(2, 8, 12).narrow(3, 14, 10).fill_(0.9);
  img[0][2].mul_(-0.5);
  return img;
}

double psnr(const at::Tensor& a, const at::Tensor& b) {
  const double mse = (a - b).pow(2).mean().item<double>();
  return 10.0 * std::log10(4.0 / mse);  // peak-to-peak 2 for [-1, 1]
}

TEST(Patchify, RoundTripAndLayout) {
  const at::Tensor img = at::arange(2 * 3 * 8 * 12, at::kFloat).view({2, 3, 8, 12});
  const at::Tensor p = patchify(img, 4);  // [2, 6, 48]
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{2, 6, 48}));
  // Patch 1 (row 0, column 1), element (r = 2, c = 3, channel 1).
  EXPECT_EQ(p[0][1][(2 * 4 + 3) * 3 + 1].item<float>(), img[0][1][2][4 + 3].item<float>());
  const at::Tensor sq = at::randn({1, 3, 16, 16});
  EXPECT_TRUE(at::equal(unpatchify(patchify(sq, 4), 4), sq));
  EXPECT_THROW(patchify(img, 5), Error);
  EXPECT_THROW(unpatchify(at::zeros({1, 5, 48}), 4), Error);
}

TEST(SetokDetokenizer, PixelHeadOverfitsOneImage) {
  at::manual_seed(0);
  SetokDetokenizer d(tiny("pixels"), 24);
  const at::Tensor tokens = at::randn({1, 5, 24});
  const at::Tensor mask = at::ones({1, 5}, at::kBool);
  const at::Tensor target = target_image();
  torch::optim::Adam opt(d->parameters(), torch::optim::AdamOptions(1e-3));
  double best = 0;
  for (int step = 0; step < 600 && best <= 30.0; ++step) {
    opt.zero_grad();
    const at::Tensor pred = d->predict_pixels(tokens, mask);
    const at::Tensor loss = (pred - target).pow(2).mean();
    loss.backward();
    opt.step();
    if (step % 20 == 19) {
      at::NoGradGuard g;
      best = std::max(best, psnr(d->decode(tokens, mask), target));
    }
  }
  EXPECT_GT(best, 30.0) << "pixel head did not reach 30 dB within 600 steps";
}

TEST(SetokDetokenizer, DiffusionHeadLossDecreases) {
  at::manual_seed(1);
  SetokDetokenizer d(tiny("diffusion"), 24);
  const at::Tensor tokens = at::randn({2, 5, 24});
  const at::Tensor mask = at::ones({2, 5}, at::kBool);
  const at::Tensor target = at::cat({target_image(), -target_image()});
  torch::optim::Adam opt(d->parameters(), torch::optim::AdamOptions(1e-3));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  std::vector<double> losses;
  for (int step = 0; step < 200; ++step) {
    opt.zero_grad();
    const at::Tensor loss = d->diffusion_loss(tokens, mask, target, gen);
    loss.backward();
    opt.step();
    losses.push_back(loss.item<double>());
  }
  const auto mean = [&](size_t from, size_t n) {
    double s = 0;
    for (size_t i = from; i < from + n; ++i) s += losses[i];
    return s / static_cast<double>(n);
  };
  const double first = mean(0, 30), last = mean(170, 30);
  EXPECT_LT(last, 0.7 * first) << "first 30 steps " << first << ", last 30 " << last;
  at::NoGradGuard g;
  const at::Tensor img = d->decode(tokens, mask, at::make_generator<at::CPUGeneratorImpl>(3));
  EXPECT_EQ(img.sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_LE(img.abs().max().item<float>(), 1.0f);
}

TEST(SetokDetokenizer, PaddedTokensDoNotChangeTheImage) {
  for (const std::string head : {"pixels", "diffusion"}) {
    at::manual_seed(2);
    SetokDetokenizer d(tiny(head), 24);
    d->eval();
    at::NoGradGuard g;
    at::Tensor tokens = at::randn({2, 6, 24});
    const at::Tensor mask =
        at::tensor({1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0}).to(at::kBool).view({2, 6});
    auto gen = [] { return at::make_generator<at::CPUGeneratorImpl>(9); };
    const at::Tensor a = d->decode(tokens, mask, gen());
    tokens.masked_fill_(mask.logical_not().unsqueeze(2), 55.0);
    const at::Tensor b = d->decode(tokens, mask, gen());
    EXPECT_TRUE(at::allclose(a, b, 1e-5, 1e-6)) << head;
    // And the second image decodes the same alone, with only its real tokens.
    const at::Tensor alone = d->features(tokens.narrow(0, 1, 1).narrow(1, 0, 2));
    EXPECT_TRUE(at::allclose(alone, d->features(tokens, mask).narrow(0, 1, 1), 1e-5, 1e-6)) << head;
  }
}

TEST(SetokDetokenizer, BertInitAndErrors) {
  DetokenizerConfig c = tiny("pixels");
  c.qformer_hidden = 48;  // bert_tiny's width, heads and feed-forward
  c.qformer_heads = 4;
  c.qformer_intermediate = 96;
  c.bert_init = (test::fixtures_dir() / "bert_tiny").string();
  SetokDetokenizer d(c, 24);
  const auto bert =
      io::SafetensorsFile::open(test::fixtures_dir() / "bert_tiny" / "model.safetensors");
  EXPECT_TRUE(
      at::equal(d->qformer->layernorm->weight, bert->tensor("embeddings.LayerNorm.weight")));
  c.qformer_hidden = 32;
  c.qformer_intermediate = 64;
  EXPECT_NE(error_of([&] { SetokDetokenizer(c, 24); }).find("shape mismatch"), std::string::npos);

  SetokDetokenizer p(tiny("pixels"), 24);
  EXPECT_NE(error_of([&] {
              p->decode(at::randn({1, 3, 20}));
            }).find("expected tokens [B, L, 24]"),
            std::string::npos);
  EXPECT_THROW(p->decode(at::randn({1, 3, 24}), at::ones({1, 4}, at::kBool)), Error);
  EXPECT_THROW(p->diffusion_loss(at::randn({1, 3, 24}), {}, target_image()), Error);
  SetokDetokenizer dd(tiny("diffusion"), 24);
  EXPECT_THROW(dd->predict_pixels(at::randn({1, 3, 24})), Error);
  EXPECT_THROW(dd->diffusion_loss(at::randn({1, 3, 24}), {}, at::zeros({1, 3, 64, 64})), Error);
  DetokenizerConfig narrow = tiny("diffusion");
  narrow.diffusion_width = 64;
  EXPECT_NE(error_of([&] { SetokDetokenizer(narrow, 24); }).find("diffusion_width"),
            std::string::npos);
  DetokenizerConfig bad = tiny("pixels");
  bad.image_size = 30;
  EXPECT_NE(error_of([&] { SetokDetokenizer(bad, 24); }).find("model.detokenizer.image_size"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::detokenizer
