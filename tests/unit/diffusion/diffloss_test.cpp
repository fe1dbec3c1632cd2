#include "setok/diffusion/diffloss.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>

#include "errors.h"

#include <cmath>
#include "setok/diffusion/mar_sampler.h"

namespace setok::diffusion {
namespace {

using test::error_of;

at::Generator seeded(uint64_t s) {
  return at::make_generator<at::CPUGeneratorImpl>(s);
}

DiffLoss toy_diffloss() {
  at::manual_seed(0);
  DiffLossOptions o;
  o.target_channels = 2;
  o.z_channels = 4;
  o.width = 64;
  o.depth = 2;
  o.num_sampling_steps = "50";
  o.sample_clip = 1.0;  // the toy data lies in [-1, 1]
  return DiffLoss(o);
}

TEST(DiffLoss, StartsAtZeroOutputAndMasksRows) {
  DiffLoss dl = toy_diffloss();
  const at::Tensor x = at::randn({6, 2}), z = at::randn({6, 4});
  EXPECT_EQ(dl->net->forward(x, at::zeros({6}, at::kLong), z).abs().max().item<float>(), 0.f);
  // A masked-out row never changes the loss.
  const at::Tensor mask = at::tensor({1, 1, 1, 0, 0, 0});
  const at::Tensor a = dl->forward(x, z, mask, seeded(1));
  at::Tensor x2 = x.clone();
  x2.narrow(0, 3, 3).fill_(100.0);
  EXPECT_FLOAT_EQ(dl->forward(x2, z, mask, seeded(1)).item<float>(), a.item<float>());
  EXPECT_NE(error_of([&] {
              dl->forward(x, at::randn({6, 3}));
            }).find("condition must be [N, 4]"),
            std::string::npos);
  EXPECT_THROW(dl->forward(at::randn({5, 2}), z), Error);
}

// A small head (2-wide x, 4-wide z) with non-zero random weights, so its loss depends on x, z and
// the draws.
DiffLossOptions small_options() {
  DiffLossOptions o;
  o.target_channels = 2;
  o.z_channels = 4;
  o.width = 16;
  o.depth = 1;
  return o;
}

DiffLoss random_diffloss(const DiffLossOptions& o) {
  DiffLoss dl(o);
  at::NoGradGuard g;
  for (auto& p : dl->parameters()) p.normal_(0, 0.3);
  return dl;
}

// `to` takes `from`'s weights.
void copy_weights(const DiffLoss& from, DiffLoss& to) {
  at::NoGradGuard g;
  const auto source = from->named_parameters();
  for (auto& p : to->named_parameters()) p.value().copy_(source[p.key()]);
}

TEST(DiffLoss, BatchMulRepeatsEachRowWithItsOwnDraws) {
  DiffLossOptions o = small_options();
  o.diffusion_batch_mul = 3;
  DiffLoss dl = random_diffloss(o);
  const at::Tensor x = at::randn({4, 2}), z = at::randn({4, 4});
  // forward() draws t for all 12 rows, then their noise, from the generator.
  auto gen = seeded(5);
  const at::Tensor t = at::randint(1000, {12}, gen, at::kLong);
  const at::Tensor noise = at::randn({12, 2}, gen, at::kFloat);
  const at::Tensor want = dl->losses(x.repeat({3, 1}), z.repeat({3, 1}), t, noise).loss.mean();
  EXPECT_NEAR(dl->forward(x, z, {}, seeded(5)).item<double>(), want.item<double>(), 1e-6);
}

// Min-SNR-gamma: each row's epsilon MSE times min(SNR, gamma) / SNR, SNR from the schedule's
// alpha_bar; the variance term and the reported MSE stay unweighted.
TEST(DiffLoss, MinSnrWeightsTheEpsilonMsePerRow) {
  DiffLossOptions o = small_options();
  o.min_snr_gamma = 5.0;
  at::manual_seed(0);
  DiffLoss weighted = random_diffloss(o);
  o.min_snr_gamma = 0.0;
  DiffLoss plain(o);
  copy_weights(weighted, plain);
  const at::Tensor x = at::randn({4, 2}), z = at::randn({4, 4}), noise = at::randn({4, 2});
  const at::Tensor t = at::tensor(std::vector<int64_t>{0, 100, 600, 999}, at::kLong);
  const auto a = weighted->losses(x, z, t, noise), b = plain->losses(x, z, t, noise);
  EXPECT_TRUE(at::allclose(a.mse, b.mse));
  EXPECT_TRUE(at::allclose(a.vb, b.vb));
  EXPECT_TRUE(at::allclose(b.loss, b.mse + b.vb));
  const at::Tensor abar = at::cumprod(1.0 - weighted->train_diffusion().betas(), 0);  // [1000]
  for (int64_t i = 0; i < 4; ++i) {
    const double ab = abar[t[i].item<int64_t>()].item<double>(), snr = ab / (1.0 - ab);
    const double w = std::min(snr, 5.0) / snr;
    EXPECT_NEAR(a.loss[i].item<double>(), w * b.mse[i].item<double>() + b.vb[i].item<double>(),
                1e-4 * (1.0 + b.loss[i].item<double>()));
  }
  // The nearly clean step weighs far less; the noisy ones (SNR < 5) keep their weight.
  const at::Tensor snr = weighted->train_diffusion().snr(t);
  EXPECT_GT(snr[0].item<double>(), 100.0);
  EXPECT_LT(snr[2].item<double>(), 5.0);
  EXPECT_NEAR(a.loss[3].item<double>(), b.loss[3].item<double>(), 1e-5);
  o.min_snr_gamma = -1.0;
  EXPECT_NE(error_of([&] { DiffLoss bad(o); }).find("min_snr_gamma must be >= 0"),
            std::string::npos);
}

// The same weights under other sampling options.
DiffLoss resampled(const DiffLoss& trained, double clip, double min_alpha_bar) {
  DiffLossOptions o = trained->options();
  o.sample_clip = clip;
  o.sample_min_alpha_bar = min_alpha_bar;
  DiffLoss out(o);
  copy_weights(trained, out);
  out->eval();
  return out;
}

// Four Gaussian blobs in 2-D, one per condition (a one-hot z): after 1200 CPU steps, samples for
// each condition must have the blob's mean (within 0.06) and spread (std 0.1 +- 0.05..0.1).
// Cosine schedule, 50 sampling steps, sampled twice: with x_0 clamped to the data's [-1, 1], and
// unclamped starting below MAR's t = 999 (sample_min_alpha_bar), which needs no clamp.
// The toy data: four blobs (std kBlobStd) at the corners of [-0.6, 0.6]^2.
constexpr double kBlobStd = 0.1;
at::Tensor blob_means() {
  return at::tensor({0.6f, 0.6f, -0.6f, 0.6f, -0.6f, -0.6f, 0.6f, -0.6f}).view({4, 2});  // [4, 2]
}

// 1200 Adam steps of 256 blob samples. Condition: the blob's one-hot when `per_blob`, else one
// constant z for all (the head must then learn the whole mixture). Draws from (seed, seed + 1).
void fit_blobs(DiffLoss& dl, bool per_blob, uint64_t seed) {
  const at::Tensor means = blob_means();
  torch::optim::Adam opt(dl->parameters(), torch::optim::AdamOptions(2e-3));
  auto data_gen = seeded(seed), diff_gen = seeded(seed + 1);
  for (int step = 0; step < 1200; ++step) {
    const at::Tensor cls = at::randint(4, {256}, data_gen, at::kLong);
    const at::Tensor x =
        means.index_select(0, cls) + kBlobStd * at::randn({256, 2}, data_gen, at::kFloat);
    const at::Tensor z = per_blob ? at::one_hot(cls, 4).to(at::kFloat) : at::ones({256, 4});
    opt.zero_grad();
    dl->forward(x, z, {}, diff_gen).backward();
    opt.step();
  }
  dl->eval();
}

TEST(DiffLoss, LearnsAConditionalToyDistribution) {
  DiffLoss dl = toy_diffloss();
  const at::Tensor means = blob_means();
  const double std_true = kBlobStd;
  fit_blobs(dl, true, 11);
  at::NoGradGuard g;
  const int64_t n = 400;
  const DiffLoss unclamped = resampled(dl, 0.0, 1e-4);
  for (DiffLoss sampler : {dl, unclamped}) {
    const char* how = sampler->options().sample_clip > 0 ? "clamped" : "unclamped, below t 999";
    for (int64_t c = 0; c < 4; ++c) {
      const at::Tensor z = at::one_hot(at::full({n}, c, at::kLong), 4).to(at::kFloat);
      const at::Tensor s = sampler->sample(z, 1.0, 1.0, seeded(100 + c));  // [n, 2]
      const at::Tensor mean = s.mean(0), spread = s.std(0);
      for (int64_t d = 0; d < 2; ++d) {
        EXPECT_NEAR(mean[d].item<double>(), means[c][d].item<double>(), 0.06) << how << c;
        EXPECT_GT(spread[d].item<double>(), 0.05) << how << " class " << c << ": collapsed";
        EXPECT_LT(spread[d].item<double>(), 0.2) << how << " class " << c << ": too spread";
      }
    }
  }
  // Unclamped, the scale of the samples is the data's (RMS 0.61) when sampling starts below
  // t = 999, and ~1,000 times too large from MAR's own start with the same weights (910 here):
  // the head's small epsilon error at abar 2.4e-9 is what the clamp used to hide.
  const at::Tensor z = at::one_hot(at::arange(4).repeat({100}), 4).to(at::kFloat);
  const auto rms = [&](DiffLoss sampler) {
    return sampler->sample(z, 1.0, 1.0, seeded(7)).pow(2).mean().sqrt().item<double>();
  };
  const double data_rms = std::sqrt(0.6 * 0.6 + std_true * std_true);
  EXPECT_LT(rms(unclamped), 2 * data_rms);
  EXPECT_GT(rms(unclamped), 0.5 * data_rms);
  EXPECT_GT(rms(resampled(dl, 0.0, 0.0)), 10 * data_rms);
}

// One condition, four blobs: a sampler draws each blob, not their average. A head that regresses
// toward the posterior mean, or a respaced sampler with the wrong posterior, puts its samples
// between the blobs (an object drawn in a colour halfway between two named ones).
TEST(DiffLoss, SamplesTheModesOfAMixtureNotTheirBlend) {
  DiffLoss dl = toy_diffloss();
  const at::Tensor means = blob_means();
  fit_blobs(dl, false, 21);
  at::NoGradGuard g;
  DiffLoss sampler = resampled(dl, 0.0, 1e-4);
  const at::Tensor s = sampler->sample(at::ones({800, 4}), 1.0, 1.0, seeded(5));  // [800, 2]
  const auto [distance, mode] = at::cdist(s, means).min(1);                       // [800]
  const double between = distance.gt(3 * kBlobStd).to(at::kFloat).mean().item<double>();
  EXPECT_LT(between, 0.2) << "samples fall between the modes";
  const at::Tensor share = at::bincount(mode, {}, 4).to(at::kFloat) / 800.0;  // [4]
  EXPECT_GT(share.min().item<double>(), 0.15) << share;
}

TEST(GaussianDiffusion, LowSignalStepsAreDroppedFromTheTop) {
  const at::Tensor betas = beta_schedule(BetaSchedule::kCosine, 1000);
  const std::vector<int64_t> all = space_timesteps(1000, "50");
  ASSERT_EQ(all.back(), 999);
  const std::vector<int64_t> kept = drop_low_signal_steps(betas, all, 1e-4);
  // Only the top step goes: abar(999) = 2.4e-9, abar(979) = 9.7e-4.
  ASSERT_EQ(kept.size(), all.size() - 1);
  EXPECT_EQ(kept.back(), 979);
  EXPECT_EQ(std::vector<int64_t>(all.begin(), all.end() - 1), kept);
  EXPECT_EQ(drop_low_signal_steps(betas, all, 0.0), all);
  // The first step stays whatever the threshold; the respaced process starts at the last kept.
  EXPECT_EQ(drop_low_signal_steps(betas, all, 0.999999), std::vector<int64_t>{0});
  EXPECT_EQ(GaussianDiffusion::create(BetaSchedule::kCosine, 1000, "50", 1e-4).timestep_map(),
            kept);
  EXPECT_NE(error_of([&] { drop_low_signal_steps(betas, all, 1.0); }).find("[0, 1)"),
            std::string::npos);
}

TEST(DiffLoss, CfgSamplingIsSeededAndNeedsBothHalves) {
  DiffLoss dl = toy_diffloss();
  {
    at::NoGradGuard g;
    for (auto& p : dl->parameters()) p.normal_(0, 0.3);
  }
  const at::Tensor z = at::randn({6, 4});
  const at::Tensor s = dl->sample(z, 1.0, 3.0, seeded(3));
  ASSERT_EQ(s.sizes(), (std::vector<int64_t>{6, 2}));
  EXPECT_TRUE(at::equal(s, dl->sample(z, 1.0, 3.0, seeded(3))));
  // Guidance changes the conditional half (the formula itself is checked by the parity suite).
  EXPECT_FALSE(at::allclose(s.narrow(0, 0, 3), dl->sample(z, 1.0, 1.0, seeded(3)).narrow(0, 0, 3)));
  EXPECT_THROW(dl->sample(at::randn({5, 4}), 1.0, 3.0), Error);
}

TEST(MarSampler, ScheduleRevealsEveryPositionOnce) {
  EXPECT_EQ(mar_mask_len(16, 0, 4, 16), static_cast<int64_t>(std::floor(16 * std::cos(M_PI / 8))));
  EXPECT_EQ(mar_mask_len(16, 3, 4, 5), 1);  // never below 1 before the last step
  MarSamplerOptions o;
  o.cfg = 3.0;
  EXPECT_DOUBLE_EQ(mar_cfg_scale(o, 16, 16), 1.0);
  EXPECT_DOUBLE_EQ(mar_cfg_scale(o, 16, 0), 3.0);
  o.cfg_schedule = "constant";
  EXPECT_DOUBLE_EQ(mar_cfg_scale(o, 16, 16), 3.0);
  o.cfg_schedule = "cosine";
  EXPECT_THROW(mar_cfg_scale(o, 16, 8), Error);

  DiffLoss dl = toy_diffloss();
  {
    at::NoGradGuard g;
    for (auto& p : dl->parameters()) p.normal_(0, 0.3);
  }
  MarSamplerOptions so;
  so.num_iter = 5;
  std::vector<at::Tensor> masks;
  auto condition = [&](const at::Tensor& tokens, const at::Tensor& mask, bool) {
    masks.push_back(mask.clone());
    // Revealed positions must already hold a sample; hidden ones are still zero.
    EXPECT_TRUE((tokens.abs().sum(-1) > 0).eq(mask.logical_not()).all().item<bool>());
    return at::ones({tokens.size(0), tokens.size(1), 4});
  };
  const at::Tensor out = mar_sample(condition, *dl, 2, 12, so, seeded(9));
  ASSERT_EQ(masks.size(), 5u);
  EXPECT_EQ(masks[0].sum().item<int64_t>(), 24);
  for (size_t i = 1; i < masks.size(); ++i) {
    EXPECT_LT(masks[i].sum().item<int64_t>(), masks[i - 1].sum().item<int64_t>());
    EXPECT_TRUE((masks[i] & masks[i - 1].logical_not()).any().item<bool>() == false);  // monotone
  }
  EXPECT_TRUE((out.abs().sum(-1) > 0).all().item<bool>());
  masks.clear();
  const at::Tensor again = mar_sample(condition, *dl, 2, 12, so, seeded(9));
  EXPECT_TRUE(at::equal(out, again));  // seeded
}

// Rows of different lengths: each position of each row revealed exactly once, nothing past a
// row's length ever masked or sampled, the same row alone gives the same tokens (its own order
// and generator), seeded runs repeat, and guidance 1 never asks for the unconditional branch.
TEST(MarSampler, RowsOfDifferentLengths) {
  DiffLoss dl = toy_diffloss();
  {
    at::NoGradGuard g;
    for (auto& p : dl->parameters()) p.normal_(0, 0.3);
  }
  MarSamplerOptions so;
  so.num_iter = 4;
  std::vector<at::Tensor> masks;
  int unconditional_calls = 0;
  // Each row's condition depends on its own row only (as an LLM pass over a row does).
  auto condition = [&](const at::Tensor& tokens, const at::Tensor& mask, bool unconditional) {
    masks.push_back(mask.clone());
    if (unconditional) ++unconditional_calls;
    EXPECT_TRUE((tokens.abs().sum(-1) > 0)
                    .eq(mask.logical_not())
                    .logical_or(tokens.abs().sum(-1).eq(0))
                    .all()
                    .item<bool>());
    return tokens.sum(-1, true).expand({tokens.size(0), tokens.size(1), 4}) * 0.1 + 1.0;
  };
  auto gens = [](std::vector<uint64_t> seeds) {
    std::vector<at::Generator> g;
    for (uint64_t s : seeds) g.push_back(seeded(s));
    return g;
  };
  const at::Tensor out = mar_sample_rows(condition, *dl, {3, 7}, so, gens({5, 6}));
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{2, 7, 2}));
  EXPECT_EQ(masks[0][0].sum().item<int64_t>(), 3);  // row 0: 3 positions masked, never more
  EXPECT_FALSE(masks[0][0].narrow(0, 3, 4).any().item<bool>());
  for (size_t i = 1; i < masks.size(); ++i)
    EXPECT_FALSE((masks[i] & masks[i - 1].logical_not()).any().item<bool>());  // monotone
  EXPECT_TRUE((out[0].narrow(0, 0, 3).abs().sum(-1) > 0).all().item<bool>());
  EXPECT_TRUE(out[0].narrow(0, 3, 4).eq(0).all().item<bool>());
  EXPECT_TRUE((out[1].abs().sum(-1) > 0).all().item<bool>());
  EXPECT_EQ(unconditional_calls, 0);
  // Row 1 alone, with its generator: the same tokens.
  masks.clear();
  const at::Tensor alone = mar_sample_rows(condition, *dl, {7}, so, gens({6}));
  EXPECT_TRUE(at::allclose(alone[0], out[1]));
  EXPECT_TRUE(at::equal(out, mar_sample_rows(condition, *dl, {3, 7}, so, gens({5, 6}))));
  // Guidance asks for the unconditional branch and changes the result.
  so.cfg = 2.0;
  const at::Tensor guided = mar_sample_rows(condition, *dl, {3, 7}, so, gens({5, 6}));
  EXPECT_GT(unconditional_calls, 0);
  EXPECT_FALSE(at::allclose(guided, out));
  EXPECT_THROW(mar_sample_rows(condition, *dl, {0, 2}, so, gens({1, 2})), Error);
  EXPECT_THROW(mar_sample_rows(condition, *dl, {2}, so, gens({1, 2})), Error);
}

}  // namespace
}  // namespace setok::diffusion
