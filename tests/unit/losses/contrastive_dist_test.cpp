// The distributed contrastive losses (losses::Gather over two ranks in this process): each rank's
// value is the one-process loss of the whole batch, and the ranks' gradients, averaged as
// data-parallel training averages them, are the one-process gradients — features and temperature.
#include <gtest/gtest.h>

#include <functional>

#include <ATen/ATen.h>

#include "local_ranks.h"
#include "setok/dist/padded_gather.h"
#include "setok/losses/contrastive.h"

namespace setok::losses {
namespace {

// A loss of (tokens [B, L, E], token mask, phrases [B, P, E], phrase mask, phrase ids, scale).
using Loss = std::function<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                      const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                      const Gather&)>;

struct Batch {
  at::Tensor tokens, token_mask, phrases, phrase_mask, ids;
};

// 4 images of 3 token slots and 2 phrase slots; images 2 and 3 (rank 1's) use 2 token slots, so
// the ranks' token counts differ and the gather pads. Image 3 repeats image 0's first phrase.
Batch make_batch() {
  at::manual_seed(5);
  Batch b;
  const at::Tensor t = at::randn({4, 3, 8}, at::kDouble);
  b.tokens = t / t.norm(2, {-1}, true);
  const at::Tensor p = at::randn({4, 2, 8}, at::kDouble);
  b.phrases = p / p.norm(2, {-1}, true);
  b.token_mask = at::ones({4, 3}, at::kBool);
  b.token_mask.index_put_({at::indexing::Slice(2, 4), 2}, false);
  b.phrase_mask = at::ones({4, 2}, at::kBool);
  b.phrase_mask[1][1] = false;
  b.ids = at::arange(8, at::kLong).view({4, 2});
  b.ids[3][0] = 0;
  b.phrases[3][0] = b.phrases[0][0];
  return b;
}

void expect_one_process_gradients(const Loss& loss) {
  const Batch b = make_batch();
  // One process, the whole batch.
  const at::Tensor tokens = b.tokens.clone().requires_grad_(),
                   phrases = b.phrases.clone().requires_grad_();
  const at::Tensor logit = at::full({}, 2.5, at::kDouble).requires_grad_();
  const at::Tensor want =
      loss(tokens, b.token_mask, phrases, b.phrase_mask, b.ids, logit.exp(), {});
  want.backward();
  test::on_ranks(2, [&](dist::ProcessGroup& g) {
    const int64_t r = g.rank();
    const int64_t L = r == 0 ? 3 : 2;  // rank 1's images have 2 token slots
    const auto rows = at::indexing::Slice(2 * r, 2 * r + 2);
    const at::Tensor my_tokens =
        b.tokens.index({rows}).narrow(1, 0, L).clone().requires_grad_();  // [2, L, E]
    const at::Tensor my_phrases = b.phrases.index({rows}).clone().requires_grad_();
    const at::Tensor my_logit = at::full({}, 2.5, at::kDouble).requires_grad_();
    Gather gather;
    gather.world = 2;
    gather.all_gather = [&g](const at::Tensor& x, const at::Tensor& mask) {
      return dist::padded_all_gather(g, x, mask);
    };
    const at::Tensor got =
        loss(my_tokens, b.token_mask.index({rows}).narrow(1, 0, L), my_phrases,
             b.phrase_mask.index({rows}), b.ids.index({rows}), my_logit.exp(), gather);
    EXPECT_NEAR(got.item<double>(), want.item<double>(), 1e-12) << "rank " << r;
    got.backward();
    // Data-parallel training averages over the ranks: feature gradients / 2 reach the weights.
    EXPECT_TRUE(at::allclose(my_tokens.grad() / 2, tokens.grad().index({rows}).narrow(1, 0, L),
                             1e-9, 1e-12))
        << "rank " << r;
    EXPECT_TRUE(at::allclose(my_phrases.grad() / 2, phrases.grad().index({rows}), 1e-9, 1e-12))
        << "rank " << r;
    std::vector<at::Tensor> logit_grad{my_logit.grad().clone()};
    g.all_reduce(logit_grad);
    EXPECT_NEAR(logit_grad[0].item<double>() / 2, logit.grad().item<double>(), 1e-12);
  });
}

TEST(DistributedContrastive, TokenFormHasTheOneProcessValueAndGradient) {
  SETOK_SKIP_WITHOUT_GLOO();
  expect_one_process_gradients(
      [](const at::Tensor& t, const at::Tensor& tm, const at::Tensor& p, const at::Tensor& pm,
         const at::Tensor& ids, const at::Tensor& scale,
         const Gather& g) { return token_concept_loss(t, tm, p, pm, ids, scale, 0.05, g); });
}

TEST(DistributedContrastive, SpreadFormHasTheOneProcessValueAndGradient) {
  SETOK_SKIP_WITHOUT_GLOO();
  expect_one_process_gradients(
      [](const at::Tensor& t, const at::Tensor& tm, const at::Tensor& p, const at::Tensor& pm,
         const at::Tensor&, const at::Tensor& scale,
         const Gather& g) { return multilabel_contrastive_loss(t, tm, p, pm, scale, g); });
}

TEST(DistributedContrastive, InfoNceHasTheOneProcessValueAndGradient) {
  SETOK_SKIP_WITHOUT_GLOO();
  expect_one_process_gradients([](const at::Tensor& t, const at::Tensor& tm, const at::Tensor& p,
                                  const at::Tensor& pm, const at::Tensor&, const at::Tensor& scale,
                                  const Gather& g) {
    // One pooled vector per side and image.
    return info_nce_loss(masked_mean_tokens(t, tm), masked_mean_tokens(p, pm), scale, g);
  });
}

}  // namespace
}  // namespace setok::losses
