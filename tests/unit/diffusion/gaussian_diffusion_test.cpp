#include "setok/diffusion/gaussian_diffusion.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"

namespace setok::diffusion {
namespace {

using test::error_of;

TEST(BetaSchedule, LinearAndCosineEndpoints) {
  const at::Tensor lin = beta_schedule(BetaSchedule::kLinear, 1000);
  EXPECT_DOUBLE_EQ(lin[0].item<double>(), 1e-4);
  EXPECT_DOUBLE_EQ(lin[999].item<double>(), 0.02);
  const at::Tensor lin100 = beta_schedule(BetaSchedule::kLinear, 100);  // scaled by 1000 / 100
  EXPECT_NEAR(lin100[0].item<double>(), 1e-3, 1e-15);
  const at::Tensor cos = beta_schedule(BetaSchedule::kCosine, 1000);
  EXPECT_EQ(cos.scalar_type(), at::kDouble);
  EXPECT_DOUBLE_EQ(cos[999].item<double>(), 0.999);                                  // capped
  EXPECT_TRUE((cos.narrow(0, 1, 998) >= cos.narrow(0, 0, 998)).all().item<bool>());  // increasing
  EXPECT_THROW(parse_beta_schedule("sigmoid"), Error);
}

TEST(Respacing, SectionsAndDdim) {
  const auto all = space_timesteps(1000, "");
  EXPECT_EQ(all.size(), 1000u);
  const auto s100 = space_timesteps(1000, "100");
  ASSERT_EQ(s100.size(), 100u);
  EXPECT_EQ(s100.front(), 0);
  EXPECT_EQ(s100.back(), 999);
  EXPECT_EQ(s100[1], 10);                        // round(999 / 99)
  EXPECT_EQ(s100[50], 505);                      // round(50 * 999 / 99) = round(504.5454)
  const auto sec = space_timesteps(100, "2,3");  // two sections of 50: {0, 49}, {50, 74, 99}
  EXPECT_EQ(sec, (std::vector<int64_t>{0, 49, 50, 74, 99}));
  EXPECT_EQ(space_timesteps(1000, "ddim10").size(), 10u);
  EXPECT_NE(error_of([] { space_timesteps(10, "20"); }).find("cannot divide"), std::string::npos);
  EXPECT_NE(error_of([] { space_timesteps(10, "x"); }).find("'x' is not a number"),
            std::string::npos);
}

TEST(GaussianDiffusion, QSampleAndRespacedBetas) {
  const GaussianDiffusion full = GaussianDiffusion::create(BetaSchedule::kCosine, 1000);
  const at::Tensor x0 = at::ones({2, 3}), noise = at::full({2, 3}, 2.0);
  const at::Tensor t = at::tensor({0, 500}, at::kLong);
  const at::Tensor abar = (1 - full.betas()).cumprod(0);
  const at::Tensor xt = full.q_sample(x0, t, noise);
  for (int64_t i = 0; i < 2; ++i) {
    const double a = abar[t[i].item<int64_t>()].item<double>();
    EXPECT_NEAR(xt[i][0].item<double>(), std::sqrt(a) + 2 * std::sqrt(1 - a), 1e-6);
  }
  // Respacing keeps the cumulative products at the kept steps.
  const GaussianDiffusion spaced = GaussianDiffusion::create(BetaSchedule::kCosine, 1000, "10");
  const at::Tensor spaced_abar = (1 - spaced.betas()).cumprod(0);
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_NEAR(spaced_abar[i].item<double>(), abar[spaced.timestep_map()[i]].item<double>(),
                1e-12);
  }
}

TEST(GaussianDiffusion, ModelSeesOriginalTimestepsAndVarianceIsInRange) {
  const GaussianDiffusion spaced = GaussianDiffusion::create(BetaSchedule::kCosine, 1000, "10");
  at::Tensor seen;
  auto model = [&](const at::Tensor& x, const at::Tensor& t) {
    seen = t;
    return at::cat({at::zeros_like(x), at::ones_like(x)}, 1);  // variance value +1 -> beta_t
  };
  const auto p = spaced.p_mean_variance(model, at::randn({3, 2}), at::tensor({0, 5, 9}, at::kLong));
  EXPECT_EQ(seen[2].item<int64_t>(), 999);
  EXPECT_EQ(seen[1].item<int64_t>(), spaced.timestep_map()[5]);
  EXPECT_NEAR(p.log_variance[2][0].item<double>(), std::log(spaced.betas()[9].item<double>()),
              1e-5);
  EXPECT_THROW(spaced.p_mean_variance([](const at::Tensor& x, const at::Tensor&) { return x; },
                                      at::randn({3, 2}), at::tensor({0, 1, 2}, at::kLong)),
               Error);
}

TEST(GaussianDiffusion, PerfectEpsilonGivesSmallMseAndSamplingIsSeeded) {
  const GaussianDiffusion g = GaussianDiffusion::create(BetaSchedule::kLinear, 50);
  const at::Tensor x0 = at::rand({4, 3}) * 2 - 1, noise = at::randn({4, 3});
  const at::Tensor t = at::tensor({0, 10, 25, 49}, at::kLong);
  auto oracle = [&](const at::Tensor& x, const at::Tensor&) {
    return at::cat({noise, at::zeros_like(x)}, 1);
  };
  const auto l = g.training_losses(oracle, x0, t, noise);
  EXPECT_LT(l.mse.abs().max().item<double>(), 1e-10);
  EXPECT_TRUE(at::isfinite(l.vb).all().item<bool>());
  auto zero = [](const at::Tensor& x, const at::Tensor&) {
    return at::zeros({x.size(0), 2 * x.size(1)});
  };
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(7),
       g2 = at::make_generator<at::CPUGeneratorImpl>(7);
  const at::Tensor a = g.p_sample_loop(zero, at::ones({2, 3}), 1.0, 0.0, g1);
  const at::Tensor b = g.p_sample_loop(zero, at::ones({2, 3}), 1.0, 0.0, g2);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_TRUE(at::isfinite(a).all().item<bool>());
  const at::Tensor cold = g.p_sample_loop(zero, at::ones({2, 3}), 0.0, 0.0, g1);
  const at::Tensor cold2 = g.p_sample_loop(zero, at::ones({2, 3}), 0.0, 0.0, g2);
  EXPECT_TRUE(at::allclose(cold, cold2));  // temperature 0: deterministic whatever the noise
}

TEST(GaussianDiffusion, NormalKlAndDiscretisedLikelihood) {
  const at::Tensor m = at::tensor({0.3}), lv = at::tensor({-1.0});
  EXPECT_NEAR(normal_kl(m, lv, m, lv).item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(normal_kl(at::tensor({1.0}), at::tensor({0.0}), at::tensor({0.0}), at::tensor({0.0}))
                  .item<double>(),
              0.5, 1e-6);
  // A sharp Gaussian centred on a pixel value puts ~all mass in its bin.
  const at::Tensor x = at::tensor({0.2, -1.0, 1.0});
  const at::Tensor ll = discretized_gaussian_log_likelihood(x, x, at::full({3}, -8.0));
  EXPECT_GT(ll.min().item<double>(), -1e-3);
}

}  // namespace
}  // namespace setok::diffusion
