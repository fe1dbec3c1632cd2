#include "setok/tokenizer/token_merger.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"

namespace setok::tokenizer {
namespace {

using test::error_of;

TokenMerger make_merger(int64_t C = 16, int64_t D = 12) {
  at::manual_seed(0);
  TokenMergerOptions o;
  o.dim = C;
  o.out_dim = D;
  o.heads = 4;
  o.mlp_hidden = 24;
  o.inner_depth = 2;
  o.inter_depth = 2;
  TokenMerger m(o);
  m->eval();
  return m;
}

// Three images of 9 tokens: 4 clusters (one of a single member), 1 cluster, 3 clusters.
struct Batch {
  at::Tensor x, assignment, counts;
};
Batch make_batch() {
  at::manual_seed(1);
  Batch b;
  b.x = at::randn({3, 9, 16});
  b.assignment = at::tensor({0, 0, 1, 2, 1, 3, 3, 3, 0,  //
                             0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                             2, 1, 0, 1, 2, 0, 1, 1, 2},
                            at::kLong)
                     .view({3, 9});
  b.counts = at::tensor({4, 1, 3}, at::kLong);
  return b;
}

TEST(TokenMerger, BatchedEqualsLoop) {
  TokenMerger m = make_merger();
  const Batch b = make_batch();
  const MergedTokens pooled_b = m->pool_clusters(b.x, b.assignment, b.counts, MergeMode::kBatched);
  const MergedTokens pooled_l = m->pool_clusters(b.x, b.assignment, b.counts, MergeMode::kLoop);
  EXPECT_LE((pooled_b.tokens - pooled_l.tokens).abs().max().item<double>(), 1e-5);
  const MergedTokens batched = m->forward(b.x, b.assignment, b.counts, MergeMode::kBatched);
  const MergedTokens loop = m->forward(b.x, b.assignment, b.counts, MergeMode::kLoop);
  ASSERT_EQ(batched.tokens.sizes(), (std::vector<int64_t>{3, 4, 12}));
  EXPECT_TRUE(at::equal(batched.mask, loop.mask));
  EXPECT_TRUE(at::equal(batched.mask.sum(1), b.counts));
  EXPECT_LE((batched.tokens - loop.tokens).abs().max().item<double>(), 1e-5);
  // Padded slots are exactly zero.
  EXPECT_EQ(batched.tokens.masked_select(batched.mask.logical_not().unsqueeze(2))
                .abs()
                .sum()
                .item<double>(),
            0.0);
}

TEST(TokenMerger, AnImageGivesTheSameTokensAloneOrInABatch) {
  TokenMerger m = make_merger();
  const Batch b = make_batch();
  const MergedTokens all = m->forward(b.x, b.assignment, b.counts);
  for (int64_t i = 0; i < 3; ++i) {
    const MergedTokens one =
        m->forward(b.x.narrow(0, i, 1), b.assignment.narrow(0, i, 1), b.counts.narrow(0, i, 1));
    const int64_t L = b.counts[i].item<int64_t>();
    EXPECT_LE((one.tokens[0] - all.tokens[i].narrow(0, 0, L)).abs().max().item<double>(), 1e-5)
        << "image " << i;
  }
}

TEST(TokenMerger, PaddedClusterSlotsNeverLeak) {
  TokenMerger m = make_merger();
  const Batch b = make_batch();
  MergedTokens pooled = m->pool_clusters(b.x, b.assignment, b.counts);
  const at::Tensor before = m->inter(pooled.tokens, pooled.mask);
  at::Tensor garbage = pooled.tokens.clone();
  garbage.masked_fill_(pooled.mask.logical_not().unsqueeze(2), 1e3);
  const at::Tensor after = m->inter(garbage, pooled.mask);
  EXPECT_TRUE(at::allclose(before, after, 1e-5, 1e-6));
}

TEST(TokenMerger, MemberOrderInsideAClusterOnlyMattersThroughPositions) {
  // Swapping two members of one cluster (features and all) leaves its token unchanged: the
  // inner transformer has no position signal of its own and the pooling is a mean.
  TokenMerger m = make_merger();
  Batch b = make_batch();
  const MergedTokens a = m->forward(b.x, b.assignment, b.counts);
  at::Tensor x2 = b.x.clone();
  x2[0][0] = b.x[0][8];  // tokens 0 and 8 of image 0 are both in cluster 0
  x2[0][8] = b.x[0][0];
  const MergedTokens c = m->forward(x2, b.assignment, b.counts);
  EXPECT_LE((a.tokens - c.tokens).abs().max().item<double>(), 1e-5);
}

TEST(TokenMerger, GradientsReachEveryParameterAndTheFeatures) {
  TokenMerger m = make_merger();
  m->train();
  Batch b = make_batch();
  b.x.requires_grad_();
  m->forward(b.x, b.assignment, b.counts).tokens.pow(2).sum().backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
  EXPECT_GT(b.x.grad().abs().sum().item<double>(), 0.0);
}

TEST(TokenMerger, BadClusteringsAreErrors) {
  TokenMerger m = make_merger();
  const Batch b = make_batch();
  EXPECT_NE(error_of([&] {
              m->forward(b.x, b.assignment, at::tensor({4, 1, 2}, at::kLong));
            }).find("assignment ids must be in [0, counts[b])"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              m->forward(b.x, b.assignment, at::tensor({5, 1, 3}, at::kLong));
            }).find("a cluster has no members"),
            std::string::npos);
  EXPECT_THROW(m->forward(b.x.narrow(2, 0, 8), b.assignment, b.counts), Error);
  EXPECT_THROW(m->forward(b.x, b.assignment.to(at::kInt), b.counts), Error);
  EXPECT_THROW(parse_merge_mode("fast"), Error);
}

}  // namespace
}  // namespace setok::tokenizer
