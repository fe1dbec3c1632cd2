#include "setok/nn/sdpa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"

namespace setok::nn {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Explicit softmax attention, element by element in double precision: the oracle.
// mask_fn(b, h, i, j) returns the additive term (0 or -inf for boolean masks).
at::Tensor reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                     const std::function<double(int64_t, int64_t, int64_t, int64_t)>& mask_fn) {
  const auto Q = q.to(at::kDouble).contiguous(), K = k.to(at::kDouble).contiguous(),
             V = v.to(at::kDouble).contiguous();
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), Lk = k.size(2), E = q.size(3),
                Ev = v.size(3);
  auto out = at::zeros({B, H, Lq, Ev}, at::kDouble);
  auto qa = Q.accessor<double, 4>(), ka = K.accessor<double, 4>(), va = V.accessor<double, 4>();
  auto oa = out.accessor<double, 4>();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < Lq; ++i) {
        std::vector<double> s(Lk);
        double mx = kNegInf;
        for (int64_t j = 0; j < Lk; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < E; ++e) dot += qa[b][h][i][e] * ka[b][h][j][e];
          s[j] = dot * scale + mask_fn(b, h, i, j);
          mx = std::max(mx, s[j]);
        }
        if (mx == kNegInf) continue;  // nothing visible: zeros
        double z = 0;
        for (auto& x : s) z += (x = std::exp(x - mx));
        for (int64_t j = 0; j < Lk; ++j) {
          for (int64_t e = 0; e < Ev; ++e) oa[b][h][i][e] += s[j] / z * va[b][h][j][e];
        }
      }
    }
  }
  return out;
}

const auto kNoMask = [](int64_t, int64_t, int64_t, int64_t) { return 0.0; };

struct Inputs {
  at::Tensor q, k, v;
};

Inputs make_inputs(int64_t B, int64_t H, int64_t Lq, int64_t Lk, int64_t E, int64_t Ev,
                   uint64_t seed) {
  at::manual_seed(seed);
  return {at::randn({B, H, Lq, E}), at::randn({B, H, Lk, E}), at::randn({B, H, Lk, Ev})};
}

void expect_close(const at::Tensor& got, const at::Tensor& want, double atol,
                  const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  ASSERT_FALSE(got.isnan().any().item<bool>()) << what << ": NaN in output";
  const double diff = (got.to(at::kDouble) - want).abs().max().item<double>();
  EXPECT_LE(diff, atol) << what << ": max abs diff " << diff;
}

using Fn = at::Tensor (*)(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                          const SdpaOptions&);

class Sdpa : public ::testing::TestWithParam<Fn> {};

TEST_P(Sdpa, NoMask) {
  auto [q, k, v] = make_inputs(2, 3, 5, 7, 8, 6, 1);
  expect_close(GetParam()(q, k, v, {}), reference(q, k, v, 1 / std::sqrt(8.0), kNoMask), 1e-5,
               "plain");
}

TEST_P(Sdpa, BoolKeyPaddingMask) {
  auto [q, k, v] = make_inputs(2, 2, 4, 6, 8, 8, 2);
  // Row 0 sees 6 keys, row 1 only the first 3: [B, 1, 1, Lk].
  const at::Tensor valid = at::tensor({6, 3}).view({2, 1, 1, 1});
  const at::Tensor mask = at::arange(6).view({1, 1, 1, 6}) < valid;
  SdpaOptions o;
  o.mask = mask;
  auto want = reference(q, k, v, 1 / std::sqrt(8.0), [](int64_t b, int64_t, int64_t, int64_t j) {
    return (b == 1 && j >= 3) ? kNegInf : 0.0;
  });
  expect_close(GetParam()(q, k, v, o), want, 1e-5, "key padding");
}

TEST_P(Sdpa, PaddedKeysNeverLeak) {
  auto [q, k, v] = make_inputs(1, 2, 4, 6, 8, 8, 3);
  SdpaOptions o;
  o.mask = (at::arange(6) < 4).view({1, 1, 1, 6});
  const at::Tensor a = GetParam()(q, k, v, o);
  k.select(2, 5).fill_(1e4);  // garbage in padded slots
  v.select(2, 4).fill_(-1e4);
  const at::Tensor b = GetParam()(q, k, v, o);
  expect_close(b, a.to(at::kDouble), 1e-6, "padding leak");
}

TEST_P(Sdpa, FloatAdditiveMask) {
  auto [q, k, v] = make_inputs(1, 2, 3, 4, 4, 4, 4);
  at::manual_seed(40);
  at::Tensor add = at::randn({3, 4});
  add[1][2] = -std::numeric_limits<float>::infinity();
  SdpaOptions o;
  o.mask = add;
  const auto acc = add.to(at::kDouble);
  auto want = reference(q, k, v, 0.5, [&](int64_t, int64_t, int64_t i, int64_t j) {
    return acc[i][j].item<double>();
  });
  expect_close(GetParam()(q, k, v, o), want, 1e-5, "additive");
}

TEST_P(Sdpa, CausalIsTopLeftAligned) {
  auto [q, k, v] = make_inputs(2, 2, 5, 5, 8, 8, 5);
  SdpaOptions o;
  o.causal = true;
  auto causal = [](int64_t, int64_t, int64_t i, int64_t j) { return j > i ? kNegInf : 0.0; };
  expect_close(GetParam()(q, k, v, o), reference(q, k, v, 1 / std::sqrt(8.0), causal), 1e-5,
               "causal square");
  auto [q2, k2, v2] = make_inputs(1, 2, 3, 6, 8, 8, 6);
  expect_close(GetParam()(q2, k2, v2, o), reference(q2, k2, v2, 1 / std::sqrt(8.0), causal), 1e-5,
               "causal Lq < Lk");
}

TEST_P(Sdpa, CausalCombinedWithMaskAndScale) {
  auto [q, k, v] = make_inputs(2, 1, 4, 4, 8, 8, 7);
  SdpaOptions o;
  o.causal = true;
  o.scale = 0.3;
  o.mask = at::tensor({1, 0, 1, 1, 1, 1, 1, 0}).to(at::kBool).view({2, 1, 1, 4});
  auto want = reference(q, k, v, 0.3, [](int64_t b, int64_t, int64_t i, int64_t j) {
    const bool blocked = j > i || (b == 0 && j == 1) || (b == 1 && j == 3);
    return blocked ? kNegInf : 0.0;
  });
  expect_close(GetParam()(q, k, v, o), want, 1e-5, "causal + mask");
}

TEST_P(Sdpa, FullyMaskedRowIsZeroNotNaN) {
  auto [q, k, v] = make_inputs(2, 2, 3, 4, 8, 8, 8);
  SdpaOptions o;
  o.mask =
      at::tensor({1, 1, 0, 1, 0, 0, 0, 0}).to(at::kBool).view({2, 1, 1, 4});  // image 1: nothing
  const at::Tensor out = GetParam()(q, k, v, o);
  EXPECT_FALSE(out.isnan().any().item<bool>());
  EXPECT_EQ(out[1].abs().max().item<float>(), 0.f);
  auto want = reference(q, k, v, 1 / std::sqrt(8.0), [](int64_t b, int64_t, int64_t, int64_t j) {
    return (b == 1 || j == 2) ? kNegInf : 0.0;
  });
  expect_close(out, want, 1e-5, "fully masked");
}

TEST_P(Sdpa, BFloat16IsCloseToFloatReference) {
  auto [q, k, v] = make_inputs(1, 2, 16, 16, 32, 32, 9);
  const at::Tensor out =
      GetParam()(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16), {});
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
  const auto want = reference(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16),
                              1 / std::sqrt(32.0), kNoMask);
  expect_close(out, want, 3e-2, "bf16");
}

TEST_P(Sdpa, DropoutIsSeededAndUnbiased) {
  auto [q, k, v] = make_inputs(1, 1, 4, 8, 4, 4, 10);
  SdpaOptions o;
  o.dropout_p = 0.5;
  at::manual_seed(11);
  const at::Tensor a = GetParam()(q, k, v, o);
  at::manual_seed(11);
  const at::Tensor b = GetParam()(q, k, v, o);
  EXPECT_TRUE(at::equal(a, b));
  const at::Tensor plain = GetParam()(q, k, v, {});
  EXPECT_FALSE(at::allclose(a, plain));
  // Inverted dropout keeps the expectation: the mean over many draws approaches the output
  // without dropout (400 draws: standard error ~ 5% of the spread; a fixed seed keeps it exact).
  at::manual_seed(12);
  at::Tensor mean = at::zeros_like(plain);
  for (int i = 0; i < 400; ++i) mean += GetParam()(q, k, v, o);
  mean /= 400;
  const double err = (mean - plain).abs().max().item<double>();
  const double spread = plain.abs().max().item<double>();
  EXPECT_LT(err, 0.15 * spread) << "mean of dropout outputs drifts from the no-dropout output";
}

TEST_P(Sdpa, GradientsMatchFiniteDifferences) {
  auto [q0, k0, v0] = make_inputs(1, 1, 3, 4, 2, 2, 13);
  const at::Tensor q = q0.to(at::kDouble).requires_grad_(), k = k0.to(at::kDouble).requires_grad_(),
                   v = v0.to(at::kDouble).requires_grad_();
  SdpaOptions o;
  o.mask = (at::arange(4) < 3).view({1, 1, 1, 4});
  o.causal = true;
  GetParam()(q, k, v, o).pow(2).sum().backward();
  const double h = 1e-6;
  for (const at::Tensor* t : {&q, &k, &v}) {
    const at::Tensor flat_grad = t->grad().reshape(-1);
    for (int64_t idx = 0; idx < t->numel(); ++idx) {
      at::NoGradGuard g;
      auto flat = t->view(-1);
      const double orig = flat[idx].item<double>();
      flat[idx] = orig + h;
      const double up = GetParam()(q, k, v, o).pow(2).sum().item<double>();
      flat[idx] = orig - h;
      const double down = GetParam()(q, k, v, o).pow(2).sum().item<double>();
      flat[idx] = orig;
      EXPECT_NEAR(flat_grad[idx].item<double>(), (up - down) / (2 * h), 1e-6) << "element " << idx;
    }
  }
  // The padded key never receives gradient.
  EXPECT_EQ(k.grad().select(2, 3).abs().max().item<double>(), 0.0);
}

TEST_P(Sdpa, BadInputsAreErrors) {
  auto [q, k, v] = make_inputs(1, 1, 2, 3, 4, 4, 14);
  EXPECT_THROW(GetParam()(q, k.narrow(3, 0, 3), v, {}), Error);
  EXPECT_THROW(GetParam()(q, k, v.narrow(2, 0, 2), {}), Error);
  EXPECT_THROW(GetParam()(q.view({2, 4}), k, v, {}), Error);
  SdpaOptions o;
  o.dropout_p = 1.0;
  EXPECT_THROW(GetParam()(q, k, v, o), Error);
  SdpaOptions m;
  m.mask = at::ones({2, 3}, at::kLong);
  EXPECT_THROW(GetParam()(q, k, v, m), Error);
}

// The fused kernel is reached only through the compat layer: on LibTorch >= 2.1 it agrees
// with the math path, on 1.13 it is a clear error rather than a silent fallback.
TEST(SdpaCompat, FusedKernelOnlyWhereTheVersionHasIt) {
  const Inputs in = make_inputs(2, 2, 5, 7, 8, 4, 11);
  if (compat::has_fused_sdpa()) {
    const at::Tensor fused = compat::fused_sdpa(in.q, in.k, in.v, {}, 0.0, true, 0.5);
    SdpaOptions o;
    o.causal = true;
    o.scale = 0.5;
    expect_close(fused, sdpa_math(in.q, in.k, in.v, o).to(at::kDouble), 1e-5, "fused vs math");
  } else {
    EXPECT_THROW(compat::fused_sdpa(in.q, in.k, in.v, {}, 0.0, false, std::nullopt), Error);
  }
}

// Both entry points against the same oracle: on LibTorch >= 2.1 the first one runs ATen's
// fused kernels, on 1.13 both run the math path.
std::string path_name(const ::testing::TestParamInfo<Fn>& info) {
  return info.param == &sdpa_math ? "math" : "dispatch";
}
INSTANTIATE_TEST_SUITE_P(Paths, Sdpa,
                         ::testing::Values<Fn>(&scaled_dot_product_attention, &sdpa_math),
                         path_name);

}  // namespace
}  // namespace setok::nn
