// Two ranks in one process (a thread each) over loopback Gloo: the collectives, the gathers of
// uneven sizes, gradient averaging after and during the backward pass; one rank on the GPU over
// NCCL where CUDA and an NCCL LibTorch are present (scripts/gpu_check.sh runs it).
#include <gtest/gtest.h>

#include <vector>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include "local_ranks.h"
#include "setok/dist/ddp_reducer.h"
#include "setok/dist/grad_sync.h"
#include "setok/dist/padded_gather.h"
#include "setok/dist/process_group.h"

namespace setok::dist {
namespace {

using test::on_ranks;

TEST(ProcessGroup, CollectivesOnTwoRanks) {
  SETOK_SKIP_WITHOUT_GLOO();
  on_ranks(2, [](ProcessGroup& g) {
    const double r = g.rank();
    std::vector<at::Tensor> v{at::full({3}, r + 1.0)};
    g.all_reduce(v);
    EXPECT_TRUE(at::equal(v[0], at::full({3}, 3.0)));
    std::vector<at::Tensor> m{at::full({2}, r)};
    g.all_reduce(m, Reduce::kMax);
    EXPECT_TRUE(at::equal(m[0], at::full({2}, 1.0)));
    const at::Tensor all = g.all_gather(at::full({2}, r));  // [2, 2]
    EXPECT_TRUE(at::equal(all, at::tensor({0.0, 0.0, 1.0, 1.0}).view({2, 2}).to(all.dtype())));
    std::vector<at::Tensor> b{at::full({2}, 10.0 * (r + 1))};
    g.broadcast(b);
    EXPECT_TRUE(at::equal(b[0], at::full({2}, 10.0)));
    EXPECT_EQ(g.all_reduce_scalar(r + 0.5), 2.0);
    EXPECT_EQ(g.all_reduce_scalar(r, Reduce::kMin), 0.0);
    g.barrier();
  });
}

// Row counts differ (rank 1 has none at first), bools travel, rank order is kept.
TEST(ProcessGroup, ConcatOverRanksKeepsUnevenRowsInRankOrder) {
  SETOK_SKIP_WITHOUT_GLOO();
  on_ranks(2, [](ProcessGroup& g) {
    const at::Tensor mine =
        g.rank() == 0 ? at::arange(6, at::kFloat).view({3, 2}) : at::zeros({0, 2}, at::kFloat);
    EXPECT_TRUE(at::equal(concat_over_ranks(g, mine), at::arange(6, at::kFloat).view({3, 2})));
    const at::Tensor rows = at::full({g.rank() + 1}, g.rank(), at::kLong);  // 1 and 2 rows
    EXPECT_TRUE(at::equal(concat_over_ranks(g, rows), at::tensor({0, 1, 1}, at::kLong)));
    const at::Tensor flags = at::full({2}, g.rank() == 1, at::kBool);
    const at::Tensor got = concat_over_ranks(g, flags);
    EXPECT_EQ(got.scalar_type(), at::kBool);
    EXPECT_TRUE(at::equal(got, at::tensor({0, 0, 1, 1}, at::kInt).to(at::kBool)));
  });
}

// The contrastive gather: K padded to the largest, the local block keeps its gradient.
TEST(ProcessGroup, PaddedAllGatherPadsAndKeepsTheLocalGradient) {
  SETOK_SKIP_WITHOUT_GLOO();
  on_ranks(2, [](ProcessGroup& g) {
    const int64_t K = g.rank() == 0 ? 1 : 3;
    const at::Tensor x = at::full({2, K, 4}, g.rank() + 1.0).requires_grad_();  // [B, K, 4]
    const at::Tensor mask = at::ones({2, K}, at::kBool);
    const auto [all, all_mask] = padded_all_gather(g, x, mask);
    ASSERT_EQ(all.sizes(), at::IntArrayRef({4, 3, 4}));
    EXPECT_TRUE(at::equal(all_mask.sum(1), at::tensor({1, 1, 3, 3}, at::kLong)));
    EXPECT_EQ(all[0][1].abs().sum().item<double>(), 0.0);  // rank 0's padding
    EXPECT_TRUE(at::equal(all[3][2].detach(), at::full({4}, 2.0)));
    (all * 2).sum().backward();
    EXPECT_TRUE(at::equal(x.grad(), at::full({2, K, 4}, 2.0)));  // through the local slice only
  });
}

// Averaging after the backward pass: used parameters averaged, one used by rank 0 only averaged
// with rank 1's zeros, one nobody used keeps no gradient.
TEST(ProcessGroup, GradientSyncAveragesWithDdpsUnusedParameterRule) {
  SETOK_SKIP_WITHOUT_GLOO();
  on_ranks(2, [](ProcessGroup& g) {
    const auto group = std::shared_ptr<ProcessGroup>(&g, [](ProcessGroup*) {});
    at::Tensor a = at::zeros({3}).requires_grad_(), b = at::zeros({2}).requires_grad_(),
               unused = at::zeros({4}).requires_grad_();
    const double r = g.rank();
    at::Tensor loss = (a * (r + 1.0)).sum();  // grad a: 1 on rank 0, 2 on rank 1
    if (g.rank() == 0) loss = loss + (b * 4.0).sum();
    loss.backward();
    GradientSync(group, /*bucket_mb=*/1e-5)({a, b, unused});  // tiny buckets: several
    EXPECT_TRUE(at::allclose(a.grad(), at::full({3}, 1.5)));
    ASSERT_TRUE(b.grad().defined());
    EXPECT_TRUE(at::allclose(b.grad(), at::full({2}, 2.0)));
    EXPECT_FALSE(unused.grad().defined());
  });
}

// c10d's Reducer (both LibTorch versions): the average arrives during the backward pass; a backward
// outside the reducer only accumulates locally (no_sync).
TEST(ProcessGroup, DdpReducerAveragesDuringTheBackward) {
  SETOK_SKIP_WITHOUT_GLOO();
  on_ranks(2, [](ProcessGroup& g) {
    const auto group = std::shared_ptr<ProcessGroup>(&g, [](ProcessGroup*) {});
    at::Tensor a = at::zeros({3}).requires_grad_(), b = at::zeros({2}).requires_grad_();
    DdpReducer reducer(group, {a, b}, /*bucket_mb=*/25);
    const double r = g.rank();
    const at::Tensor first = (a * (r + 1.0)).sum() + (b * (r + 3.0)).sum();
    reducer.backward(first);
    EXPECT_TRUE(at::allclose(a.grad(), at::full({3}, 1.5)));
    EXPECT_TRUE(at::allclose(b.grad(), at::full({2}, 3.5)));
    // Rank 1 leaves b out of the next step: averaged with its zero.
    a.mutable_grad().zero_();
    b.mutable_grad().zero_();
    at::Tensor second = (a * (r + 1.0)).sum();
    if (g.rank() == 0) second = second + (b * 2.0).sum();
    reducer.backward(second);
    EXPECT_TRUE(at::allclose(a.grad(), at::full({3}, 1.5)));
    EXPECT_TRUE(at::allclose(b.grad(), at::full({2}, 1.0)));
  });
}

// A one-GPU world over NCCL: what a CUDA build's trainer uses on cuda:LOCAL_RANK.
TEST(ProcessGroup, NcclOneGpuWorld) {
#ifndef USE_C10D_NCCL
  GTEST_SKIP() << "this LibTorch has no NCCL";
#endif
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  on_ranks(
      1,
      [](ProcessGroup& g) {
        EXPECT_EQ(g.backend(), "nccl");
        std::vector<at::Tensor> v{at::full({1024}, 2.0, at::device(at::kCUDA))};
        g.all_reduce(v);
        EXPECT_TRUE(v[0].is_cuda());
        EXPECT_EQ(v[0].sum().item<double>(), 2048.0);
        std::vector<at::Tensor> host{at::full({4}, 3.0)};  // CPU tensors go through the device
        g.all_reduce(host);
        EXPECT_FALSE(host[0].is_cuda());
        EXPECT_TRUE(at::equal(host[0], at::full({4}, 3.0)));
        EXPECT_EQ(concat_over_ranks(g, at::ones({2, 3})).size(0), 2);
        g.barrier();
      },
      c10::Device(c10::kCUDA, 0), "auto");
}

}  // namespace
}  // namespace setok::dist
