// The token norm: the fitted map's output is centred and of unit scale (per dimension, or
// decorrelated under whiten), it inverts exactly, and the model reads and writes through it.
#include "setok/mllm/token_norm.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/state_dict.h"
#include "setok/mllm/image_sampler.h"
#include "tiny_setokim_model.h"

namespace setok::mllm {
namespace {

at::Tensor apply(const TokenNormFit& f, const at::Tensor& x) {
  return at::matmul(x - f.shift, f.map.t());
}
at::Tensor undo(const TokenNormFit& f, const at::Tensor& y) {
  return at::matmul(y, f.unmap.t()) + f.shift;
}

// Correlated tokens of uneven scale and a far-off mean: [N, 8].
at::Tensor skewed_tokens(int64_t n) {
  at::manual_seed(3);
  const at::Tensor mix = at::eye(8) + 0.3 * at::randn({8, 8});
  const at::Tensor scale = at::linspace(0.3, 3.0, 8);
  return at::matmul(at::randn({n, 8}) * scale, mix) + at::linspace(-4, 6, 8);
}

TEST(TokenNorm, StandardizeCentresAndScalesEachDimension) {
  const at::Tensor x = skewed_tokens(4000);
  const TokenNormFit f = fit_token_norm(x, TokenNorm::kStandardize);
  const at::Tensor y = apply(f, x);
  EXPECT_LT(y.mean(0).abs().max().item<double>(), 1e-4);
  EXPECT_LT((y.std(0) - 1).abs().max().item<double>(), 1e-3);
  EXPECT_TRUE(at::allclose(undo(f, y), x, 1e-4, 1e-4));
  // Per dimension only: the map is diagonal, so correlations remain.
  EXPECT_TRUE(at::allclose(f.map, at::diag(f.map.diagonal())));
  EXPECT_NE(f.summary.find("4000 tokens of width 8"), std::string::npos) << f.summary;
}

TEST(TokenNorm, WhitenDecorrelates) {
  const at::Tensor x = skewed_tokens(4000);
  const TokenNormFit f = fit_token_norm(x, TokenNorm::kWhiten);
  const at::Tensor y = apply(f, x);  // [N, 8]
  const at::Tensor cov = at::matmul(y.t(), y) / (y.size(0) - 1);
  EXPECT_LT(y.mean(0).abs().max().item<double>(), 1e-4);
  // The identity, up to the floor that keeps near-empty directions finite (1e-3 of the mean
  // eigenvalue: the smallest directions here shrink by a few per cent).
  const at::Tensor off = cov - at::diag(cov.diagonal());
  EXPECT_LT(off.abs().max().item<double>(), 1e-3) << cov;
  EXPECT_GT(cov.diagonal().min().item<double>(), 0.9) << cov;
  EXPECT_LT(cov.diagonal().max().item<double>(), 1.0 + 1e-3) << cov;
  // A direction with (almost) no variance is not blown up to unit scale.
  at::Tensor flat = x.clone();
  flat.select(1, 7).fill_(1.0);
  flat.select(1, 7).add_(1e-6 * at::randn({x.size(0)}));
  const at::Tensor yf = apply(fit_token_norm(flat, TokenNorm::kWhiten), flat);
  EXPECT_LT(yf.pow(2).mean(0).min().item<double>(), 0.01);
  EXPECT_TRUE(at::allclose(undo(f, y), x, 1e-3, 1e-3));
  // Standardizing alone leaves the correlations.
  const at::Tensor s = apply(fit_token_norm(x, TokenNorm::kStandardize), x);
  EXPECT_GT((at::matmul(s.t(), s) / (s.size(0) - 1) - at::eye(8)).abs().max().item<double>(), 0.2);
}

TEST(TokenNorm, NoneIsTheIdentityAndBadInputIsRefused) {
  const at::Tensor x = skewed_tokens(20);
  const TokenNormFit f = fit_token_norm(x, TokenNorm::kNone);
  EXPECT_TRUE(at::equal(apply(f, x), x));
  EXPECT_NE(test::error_of([&] {
              fit_token_norm(x.narrow(0, 0, 8), TokenNorm::kWhiten);
            }).find("needs more than 8"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_token_norm("pca"); }).find("unknown 'pca'"),
            std::string::npos);
  EXPECT_STREQ(token_norm_name(parse_token_norm("whiten")), "whiten");
}

// The tiny model with a fitted standardize map (x -> (x - 50) / 2), its other weights those of
// test::tiny_setokim_model(span).
SetokimModel normed_model(ImageSpan span) {
  SetokimModel plain = test::tiny_setokim_model(span);
  SetokimModelOptions o = plain->options();
  o.token_norm = TokenNorm::kStandardize;
  SetokimModel m(o);
  EXPECT_FALSE(m->token_norm_fitted());
  at::NoGradGuard g;
  for (const auto& item : plain->named_parameters())
    m->named_parameters()[item.key()].copy_(item.value());
  m->eval();
  TokenNormFit f;
  f.shift = at::full({8}, 50.0);
  f.map = at::diag(at::full({8}, 0.5));
  f.unmap = at::diag(at::full({8}, 2.0));
  m->set_token_norm(f);
  return m;
}

// The model reads tokens through the map, and its sampler draws what the same weights draw
// without a map, returned as SeTok tokens (unmapped); the map travels with the model's state.
TEST(TokenNorm, ModelReadsAndWritesThroughTheMap) {
  at::NoGradGuard g;
  for (const ImageSpan span : {ImageSpan::kMar, ImageSpan::kAr}) {
    SetokimModel plain = test::tiny_setokim_model(span);
    SetokimModel m = normed_model(span);
    EXPECT_TRUE(m->token_norm_fitted());
    const SequenceBatch b = collate_sequences({test::tiny_setokim_sample(3, span)}, {0}, 0);
    const at::Tensor tokens = at::randn({2, 3, 8});
    // Input image at positions 3, 4: the normed model reads (x - 50) / 2 where the plain reads x.
    EXPECT_TRUE(at::allclose(m->embed(b, tokens * 2 + 50, {})[0][3],
                             plain->embed(b, tokens, {})[0][3], 1e-4, 1e-5));
    const at::Tensor prefix = plain->embed_ids(
        at::tensor(std::vector<int64_t>{1, 5, test::kTinyVocab}, at::kLong).view({1, 3}));
    ImageSamplingOptions o;
    o.num_tokens = 3;
    o.mar.num_iter = 2;
    const auto draw = [&](SetokimModel& model) {
      return sample_image_tokens(*model, {prefix, at::ones({1, 3}, at::kLong), 1}, o,
                                 {at::make_generator<at::CPUGeneratorImpl>(5)})
          .tokens;  // [1, 3, 8]
    };
    const at::Tensor want = draw(plain) * 2 + 50, got = draw(m);
    EXPECT_TRUE(at::allclose(got, want, 1e-3, 1e-3)) << (got - want).abs().max();
  }
  SetokimModel m = normed_model(ImageSpan::kMar);
  bool found = false;
  for (const auto& [name, t] : io::module_state(*m)) {
    if (name == "token_norm_fitted") found = t.item<int64_t>() == 1;
  }
  EXPECT_TRUE(found) << "the fitted flag is part of the model's state";
}

}  // namespace
}  // namespace setok::mllm
