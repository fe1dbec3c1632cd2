#include "setok/tokenizer/dpc_knn.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/runtime/seed.h"
#include "setok/tokenizer/position_encoding.h"

namespace setok::tokenizer {
namespace {

using test::error_of;

// `blobs` well-separated Gaussian blobs of `per` points each in C dims, shuffled.
at::Tensor blobs(int64_t blobs, int64_t per, int64_t C, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor centres = at::randn({blobs, 1, C}) * 4;
  const at::Tensor pts = (centres + 0.3 * at::randn({blobs, per, C})).reshape({blobs * per, C});
  return pts.index_select(0, at::randperm(blobs * per));
}

void expect_same(const Clusters& batched, int64_t b, const Clusters& ref, const std::string& what) {
  const int64_t L = ref.counts[0].item<int64_t>();
  ASSERT_EQ(batched.counts[b].item<int64_t>(), L) << what;
  EXPECT_TRUE(at::equal(batched.centres[b].narrow(0, 0, L), ref.centres[0])) << what;
  EXPECT_TRUE(at::equal(batched.assignment[b], ref.assignment[0])) << what;
  // float32 against float64: cdist's matmul path (|x|^2 + |y|^2 - 2xy, as in the released
  // code) loses digits on short distances (float32 rounding of the squared norms, ~1e-7 of
  // |x|^2, becomes ~1e-5 of a short distance after the square root), so scores agree to 1e-4
  // relative, 5e-5 absolute.
  const at::Tensor err = (batched.scores[b] - ref.scores[0]).abs() - 1e-4 * ref.scores[0].abs();
  EXPECT_LE(err.max().item<float>(), 5e-5) << what;
  // Padded centre slots are masked.
  EXPECT_EQ(batched.centre_mask[b].sum().item<int64_t>(), L) << what;
}

TEST(DpcKnn, BatchedEqualsPerImageReference) {
  // Images with different cluster counts in one batch.
  const at::Tensor x = at::stack({blobs(2, 20, 8, 1), blobs(4, 10, 8, 2), blobs(5, 8, 8, 3)});
  for (auto mode : {ParentDistance::kColumnMax, ParentDistance::kGlobalMax}) {
    DpcKnnOptions o;
    o.k = 4;
    o.threshold = 1.0;  // blob peaks score ~5, other points < 0.5
    o.tie_noise = false;
    o.parent_distance = mode;
    const Clusters got = dpc_knn(x, o);
    EXPECT_EQ(got.assignment.sizes(), (std::vector<int64_t>{3, 40}));
    for (int64_t b = 0; b < 3; ++b) {
      expect_same(got, b, dpc_knn_reference(x[b], o), "image " + std::to_string(b));
    }
    EXPECT_GT(got.counts.max().item<int64_t>(), got.counts.min().item<int64_t>());
  }
}

TEST(DpcKnn, PerImageCallsPadToTheBatchedResult) {
  const at::Tensor x = at::stack({blobs(2, 12, 8, 4), blobs(3, 8, 8, 5)});
  DpcKnnOptions o;
  o.k = 4;
  o.threshold = 1.0;
  o.tie_noise = false;
  const Clusters a = dpc_knn(x, o), b = dpc_knn_per_image(x, o);
  EXPECT_TRUE(at::equal(a.centres, b.centres));
  EXPECT_TRUE(at::equal(a.centre_mask, b.centre_mask));
  EXPECT_TRUE(at::equal(a.assignment, b.assignment));
  EXPECT_TRUE(at::equal(a.counts, b.counts));
  EXPECT_TRUE(at::allclose(a.scores, b.scores));
}

TEST(DpcKnn, FindsWellSeparatedBlobs) {
  DpcKnnOptions o;
  o.k = 5;
  o.threshold = 0.5;
  o.tie_noise = false;
  const at::Tensor x = blobs(3, 15, 6, 7);
  const Clusters c = dpc_knn(x.unsqueeze(0), o);
  ASSERT_EQ(c.counts[0].item<int64_t>(), 3);
  // Points of one blob share a cluster: the blob of each point is recoverable from distances.
  const at::Tensor d = at::cdist(x, x);
  const at::Tensor same_cluster = c.assignment[0].unsqueeze(0) == c.assignment[0].unsqueeze(1);
  EXPECT_TRUE(at::equal(same_cluster, d < 3.0));
}

// Indices of the `n` highest scores, ascending.
at::Tensor sorted_top(const at::Tensor& scores, int64_t n) {
  return std::get<0>(std::get<1>(scores.topk(n)).sort());
}

TEST(DpcKnn, FallbackAndCap) {
  const at::Tensor x = blobs(6, 6, 4, 11).unsqueeze(0);
  DpcKnnOptions o;
  o.k = 3;
  o.tie_noise = false;
  o.threshold = 1e9;  // nothing passes: the min_clusters best scores
  o.min_clusters = 4;
  const Clusters fb = dpc_knn(x, o);
  EXPECT_EQ(fb.counts[0].item<int64_t>(), 4);
  EXPECT_TRUE(at::equal(fb.centres[0], sorted_top(fb.scores[0], 4)));
  o.threshold = -1.0;  // everything passes: capped to the 5 best scores, in index order
  o.max_clusters = 5;
  const Clusters capped = dpc_knn(x, o);
  EXPECT_EQ(capped.counts[0].item<int64_t>(), 5);
  EXPECT_TRUE(at::equal(capped.centres[0], sorted_top(capped.scores[0], 5)));
  expect_same(capped, 0, dpc_knn_reference(x[0], o), "capped");
}

TEST(DpcKnn, CentresOwnTheirClusterEvenWithDuplicates) {
  at::Tensor x = blobs(2, 5, 4, 5);
  x[1] = x[0];  // an exact duplicate of a point
  DpcKnnOptions o;
  o.k = 2;
  o.threshold = -1.0;  // every point is a centre
  o.tie_noise = false;
  const Clusters c = dpc_knn(x.unsqueeze(0), o);
  EXPECT_TRUE(at::equal(c.assignment[0], at::arange(10)));
}

TEST(DpcKnn, TieNoiseIsSeeded) {
  const at::Tensor x = at::zeros({2, 12, 3});  // all densities tie
  DpcKnnOptions o;
  o.k = 3;
  o.threshold = 1e-12;
  runtime::seed_all(5);
  const Clusters a = dpc_knn(x, o, runtime::make_cpu_generator("noise"));
  const Clusters b = dpc_knn(x, o, runtime::make_cpu_generator("noise"));
  EXPECT_TRUE(at::equal(a.assignment, b.assignment));
  EXPECT_TRUE(at::equal(a.scores, b.scores));
  EXPECT_GE(a.counts.min().item<int64_t>(), 1);
}

TEST(DpcKnn, NoGradientsEverFlow) {
  at::Tensor x = blobs(2, 8, 4, 9).unsqueeze(0).requires_grad_();
  DpcKnnOptions o;
  o.k = 3;
  const Clusters c = dpc_knn(x, o);
  EXPECT_FALSE(c.scores.requires_grad());
  EXPECT_FALSE(c.assignment.requires_grad());
}

TEST(DpcKnn, BadInputsAreErrors) {
  DpcKnnOptions o;
  o.k = 5;
  EXPECT_NE(error_of([&] {
              dpc_knn(at::randn({1, 4, 3}), o);
            }).find("k = 5 must be in [1, N = 4]"),
            std::string::npos);
  EXPECT_THROW(dpc_knn(at::randn({4, 3}), o), Error);
  at::Tensor bad = at::randn({1, 8, 3});
  bad[0][2][1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { dpc_knn(bad, o); }).find("NaN or infinity"), std::string::npos);
  o.min_clusters = 0;
  EXPECT_THROW(dpc_knn(at::randn({1, 8, 3}), o), Error);
  EXPECT_THROW(parse_parent_distance("median"), Error);
}

// Distances must not depend on a common offset of the features: cdist's matmul form
// (|x|^2 + |y|^2 - 2 x.y, used for N > 25 on every device, and rounded to TF32 on CUDA) would
// cancel catastrophically on large-norm features; clustering centres each image first.
TEST(DpcKnn, LargeCommonOffsetsChangeNothing) {
  const at::Tensor x = at::stack({blobs(3, 16, 16, 6), blobs(4, 12, 16, 7)});  // N = 48
  DpcKnnOptions o;
  o.k = 4;
  o.threshold = 1.0;
  o.tie_noise = false;
  const Clusters plain = dpc_knn(x, o);
  const at::Tensor offset = at::randn({2, 1, 16}) * 3000.0;  // |offset| ~ 1.2e4 per image
  const Clusters shifted = dpc_knn(x + offset, o);
  EXPECT_TRUE(at::equal(plain.counts, shifted.counts));
  EXPECT_TRUE(at::equal(plain.centres, shifted.centres));
  EXPECT_TRUE(at::equal(plain.assignment, shifted.assignment));
  EXPECT_LE((plain.scores - shifted.scores).abs().max().item<float>(), 1e-4);
}

// Letterbox padding never joins a cluster, never is a centre, and never shapes the others:
// masked tokens are outliers here (far from everything, so without the mask they would be
// centres of their own), yet the valid tokens cluster exactly as they do alone.
TEST(DpcKnn, MaskedTokensAreNeverClustered) {
  const at::Tensor valid_x = blobs(3, 10, 8, 8);              // [30, 8]
  const at::Tensor pad_x = at::randn({10, 8}) * 0.01 + 40.0;  // a dense far-away blob
  const at::Tensor x = at::cat({pad_x.narrow(0, 0, 5), valid_x, pad_x.narrow(0, 5, 5)});  // [40, 8]
  at::Tensor mask = at::ones({40}, at::kBool);
  mask.narrow(0, 0, 5).fill_(false);
  mask.narrow(0, 35, 5).fill_(false);
  for (auto mode : {ParentDistance::kColumnMax, ParentDistance::kGlobalMax}) {
    DpcKnnOptions o;
    o.k = 4;
    o.threshold = 1.0;
    o.tie_noise = false;
    o.parent_distance = mode;
    const Clusters unmasked = dpc_knn(x.unsqueeze(0), o);
    // Without the mask the padding holds a centre of its own.
    const at::Tensor c = unmasked.centres[0].narrow(0, 0, unmasked.counts[0].item<int64_t>());
    EXPECT_TRUE(((c < 5) | (c >= 35)).any().item<bool>());
    const Clusters got = dpc_knn(x.unsqueeze(0), o, std::nullopt, mask.unsqueeze(0));
    const Clusters alone = dpc_knn(valid_x.unsqueeze(0), o);
    ASSERT_TRUE(at::equal(got.counts, alone.counts));
    EXPECT_TRUE(at::equal(got.centres - 5, alone.centres));  // same centres, shifted index
    EXPECT_TRUE(at::equal(got.assignment[0].narrow(0, 5, 30), alone.assignment[0]));
    EXPECT_TRUE((got.assignment[0].narrow(0, 0, 5) == -1).all().item<bool>());
    EXPECT_TRUE((got.assignment[0].narrow(0, 35, 5) == -1).all().item<bool>());
    EXPECT_LE((got.scores[0].narrow(0, 5, 30) - alone.scores[0]).abs().max().item<float>(), 1e-5);
    EXPECT_TRUE((got.scores[0].masked_select(mask.logical_not()) == -1).all().item<bool>());
    // The float64 reference agrees, and so does the per-image path.
    const Clusters ref = dpc_knn_reference(x, o, mask);
    EXPECT_TRUE(at::equal(got.assignment, ref.assignment));
    EXPECT_TRUE(at::equal(got.centres, ref.centres));
    const Clusters per = dpc_knn_per_image(x.unsqueeze(0), o, std::nullopt, mask.unsqueeze(0));
    EXPECT_TRUE(at::equal(got.assignment, per.assignment));
  }
  // Even the fallback (no score above the threshold) and a tiny valid set pick valid centres.
  DpcKnnOptions o;
  o.k = 4;
  o.threshold = 1e9;
  o.min_clusters = 3;
  o.tie_noise = false;
  at::Tensor few = at::zeros({40}, at::kBool);
  few.narrow(0, 10, 2).fill_(true);  // two valid tokens: fewer than k and than min_clusters
  const Clusters fb = dpc_knn(x.unsqueeze(0), o, std::nullopt, few.unsqueeze(0));
  EXPECT_EQ(fb.counts[0].item<int64_t>(), 2);
  for (int64_t l = 0; l < 2; ++l) EXPECT_TRUE(few[fb.centres[0][l].item<int64_t>()].item<bool>());
  EXPECT_EQ((fb.assignment[0] >= 0).sum().item<int64_t>(), 2);
  EXPECT_NE(error_of([&] {
              dpc_knn(x.unsqueeze(0), o, std::nullopt, at::zeros({1, 40}, at::kBool));
            }).find("no valid token"),
            std::string::npos);
  EXPECT_THROW(dpc_knn(x.unsqueeze(0), o, std::nullopt, at::ones({1, 39}, at::kBool)), Error);
}

TEST(PositionEncoding, MatchesTheFormula) {
  const int64_t h = 3, w = 5, C = 10;  // c = 2 * ceil(10 / 4) = 6: 3 frequencies per axis
  const at::Tensor pe = position_encoding_2d(h, w, C);
  ASSERT_EQ(pe.sizes(), (std::vector<int64_t>{3, 5, 10}));
  const double c = 6;
  for (int64_t i = 0; i < h; ++i) {
    for (int64_t j = 0; j < w; ++j) {
      for (int64_t k = 0; k < 3; ++k) {
        const double f = std::pow(10000.0, -2.0 * k / c);
        EXPECT_NEAR(pe[i][j][2 * k].item<double>(), std::sin(i * f), 1e-6);
        EXPECT_NEAR(pe[i][j][2 * k + 1].item<double>(), std::cos(i * f), 1e-6);
        if (6 + 2 * k + 1 < C) {  // columns, truncated to C channels
          EXPECT_NEAR(pe[i][j][6 + 2 * k].item<double>(), std::sin(j * f), 1e-6);
          EXPECT_NEAR(pe[i][j][6 + 2 * k + 1].item<double>(), std::cos(j * f), 1e-6);
        }
      }
    }
  }
  EXPECT_THROW(position_encoding_2d(0, 2, 4), Error);
}

}  // namespace
}  // namespace setok::tokenizer
