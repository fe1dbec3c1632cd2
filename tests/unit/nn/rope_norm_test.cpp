// RoPE frequencies (default / linear / llama3), rotation invariants, and RMSNorm.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/nn/rms_norm.h"
#include "setok/nn/rope.h"

namespace setok::nn {
namespace {

TEST(Rope, DefaultAndLinearFrequencies) {
  RopeOptions o;
  o.head_dim = 8;
  const at::Tensor f = rope_inv_freq(o);
  ASSERT_EQ(f.size(0), 4);
  const double want[] = {1.0, 0.1, 0.01, 0.001};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(f[i].item<double>(), want[i], want[i] * 1e-6);
  o.type = "linear";
  o.factor = 4;
  EXPECT_NEAR(rope_inv_freq(o)[1].item<double>(), 0.025, 1e-8);
  o.type = "dynamic";
  EXPECT_NE(test::error_of([&] { rope_inv_freq(o); }).find("unsupported rope_type"),
            std::string::npos);
  o.type = "default";
  o.head_dim = 7;
  EXPECT_NE(test::error_of([&] { rope_inv_freq(o); }).find("even"), std::string::npos);
}

TEST(Rope, Llama3ScalingByBand) {
  RopeOptions o;
  o.head_dim = 64;
  o.theta = 500000;
  o.type = "llama3";
  o.factor = 8;
  o.low_freq_factor = 1;
  o.high_freq_factor = 4;
  o.original_max_position_embeddings = 8192;
  const at::Tensor got = rope_inv_freq(o);
  for (int64_t i = 0; i < 32; ++i) {
    const double f = 1.0 / std::pow(500000.0, 2.0 * static_cast<double>(i) / 64.0);
    const double wavelen = 2 * M_PI / f;
    double want = f;  // short wavelengths: unchanged
    if (wavelen > 8192.0) {
      want = f / 8;  // long: divided by the factor
    } else if (wavelen >= 2048.0) {
      const double smooth = (8192.0 / wavelen - 1) / (4 - 1);
      want = (1 - smooth) * f / 8 + smooth * f;
    }
    EXPECT_NEAR(got[i].item<double>() / want, 1.0, 1e-5) << "frequency " << i;
  }
}

TEST(Rope, RotationIsRelative) {
  RopeOptions o;
  o.head_dim = 16;
  const at::Tensor inv = rope_inv_freq(o);
  at::manual_seed(0);
  const at::Tensor q = at::randn({1, 1, 1, 16}), k = at::randn({1, 1, 1, 16});
  auto at_pos = [&](const at::Tensor& x, int64_t p) {
    return apply_rope(x, rope_tables(inv, at::full({1, 1}, p, at::kLong), at::kFloat));
  };
  EXPECT_LT((at_pos(q, 0) - q).abs().max().item<double>(), 1e-7);  // position 0: identity
  const double d1 = (at_pos(q, 7) * at_pos(k, 3)).sum().item<double>();
  const double d2 = (at_pos(q, 104) * at_pos(k, 100)).sum().item<double>();
  EXPECT_NEAR(d1, d2, 1e-4);
  // Half-rotation layout: the pair (x_i, x_{i+8}) keeps its norm.
  const at::Tensor r = at_pos(q, 5).view({16});
  const at::Tensor x = q.view({16});
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(std::hypot(r[i].item<double>(), r[i + 8].item<double>()),
                std::hypot(x[i].item<double>(), x[i + 8].item<double>()), 1e-5);
  }
  // And it really rotates (not the identity) at a non-zero position.
  EXPECT_GT((r - x).abs().max().item<double>(), 1e-2);
}

TEST(RmsNorm, MatchesTheFormula) {
  RmsNorm norm(2, 1e-6);
  {
    at::NoGradGuard g;
    norm->weight.copy_(at::tensor({2.0f, 0.5f}));
  }
  const at::Tensor y = norm->forward(at::tensor({3.0f, 4.0f}).view({1, 2}));
  const double rms = std::sqrt(12.5 + 1e-6);
  EXPECT_NEAR(y[0][0].item<double>(), 2.0 * 3.0 / rms, 1e-5);
  EXPECT_NEAR(y[0][1].item<double>(), 0.5 * 4.0 / rms, 1e-5);
  // bf16 input: normalised in float32, returned as bf16 times the weight.
  RmsNorm bf(2, 1e-6);
  bf->to(at::kBFloat16);
  EXPECT_EQ(bf->forward(at::ones({1, 2}, at::kBFloat16)).scalar_type(), at::kBFloat16);
}

}  // namespace
}  // namespace setok::nn
