// Setokim sequences on hand-built conversations: ids, labels, attention mask, positions, image
// slots; truncation; MAR masking of output slots.
#include "setok/mllm/sequence.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/mllm/slot_masking.h"

namespace setok::mllm {
namespace {

using llm::kIgnoreIndex;
constexpr int64_t I = llm::kImageTokenId, X = kIgnoreIndex;
const SpecialIds kIds{50, 51, 52, 0};  // <im_start>, <im_end>, <target>, pad

llm::TokenizedConversation conversation(std::vector<int64_t> ids, std::vector<int64_t> labels) {
  llm::TokenizedConversation c;
  c.input_ids = std::move(ids);
  c.labels = std::move(labels);
  return c;
}

// "<s> q <image> a b <target></s>": an input image of 2 tokens, an output image of 3.
at::Tensor longs(std::vector<int64_t> v) {
  return at::tensor(v, at::kLong);
}

Sequence sample_a(ImageSpan span = ImageSpan::kAr) {
  return expand_images(conversation({1, 10, I, 11, 12, 52, 2}, {X, X, X, X, 12, 52, 2}), {2, 3},
                       kIds, span);
}

TEST(SetokimSequence, ExpandsInputAndOutputImages) {
  const Sequence s = sample_a();  // ar: the slots and <im_end> are text labels
  EXPECT_EQ(s.input_ids,
            (std::vector<int64_t>{1, 10, 50, 0, 0, 51, 11, 12, 50, 52, 52, 52, 51, 2}));
  EXPECT_EQ(s.labels, (std::vector<int64_t>{X, X, X, X, X, X, X, 12, 50, 52, 52, 52, 51, 2}));
  EXPECT_EQ(s.image, (std::vector<int64_t>{-1, -1, -1, 0, 0, -1, -1, -1, -1, 1, 1, 1, -1, -1}));
  EXPECT_EQ(s.slot, (std::vector<int64_t>{-1, -1, -1, 0, 1, -1, -1, -1, -1, 0, 1, 2, -1, -1}));
  EXPECT_EQ(s.output, (std::vector<bool>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0}));
  EXPECT_EQ(s.count, std::vector<int64_t>(14, -1));
  EXPECT_EQ(s.span, std::vector<int64_t>(14, -1));
}

// mar: the same positions; the count is a label at <im_start>, the span is bidirectional, and
// nothing inside it (nor <im_end>, which follows the count) is a text label.
TEST(SetokimSequence, MarCarriesTheCountAtImStartAndNoLabelInTheSpan) {
  const Sequence s = sample_a(ImageSpan::kMar);
  EXPECT_EQ(s.input_ids, sample_a().input_ids);
  EXPECT_EQ(s.labels, (std::vector<int64_t>{X, X, X, X, X, X, X, 12, 50, X, X, X, X, 2}));
  EXPECT_EQ(s.count, (std::vector<int64_t>{-1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, -1, -1, -1}));
  EXPECT_EQ(s.span, (std::vector<int64_t>{-1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, -1, -1}));
  const SequenceBatch b = collate_sequences({s, s}, {0, 2}, 0);
  EXPECT_TRUE(at::equal(b.spans[1].narrow(0, 9, 3), longs({3, 3, 3})));  // batch-wide image ids
  EXPECT_EQ(b.count[1][8].item<int64_t>(), 3);
  EXPECT_EQ(parse_image_span("ar"), ImageSpan::kAr);
  EXPECT_NE(test::error_of([] { parse_image_span("causal"); }).find("known: mar, ar"),
            std::string::npos);
}

TEST(SetokimSequence, BatchOfTwoSamplesWithDifferentTokenCounts) {
  // Sample b: "<s> <image> c</s>" with an input image of 4 tokens.
  const Sequence b =
      expand_images(conversation({1, I, 20, 2}, {X, X, 20, 2}), {4}, kIds, ImageSpan::kAr);
  EXPECT_EQ(b.input_ids, (std::vector<int64_t>{1, 50, 0, 0, 0, 0, 51, 20, 2}));
  const SequenceBatch batch = collate_sequences({sample_a(), b}, {0, 2}, /*pad=*/0);
  ASSERT_EQ(batch.input_ids.sizes(), (std::vector<int64_t>{2, 14}));
  EXPECT_TRUE(at::equal(batch.input_ids[1], longs({1, 50, 0, 0, 0, 0, 51, 20, 2, 0, 0, 0, 0, 0})));
  EXPECT_TRUE(at::equal(batch.labels[1], longs({X, X, X, X, X, X, X, 20, 2, X, X, X, X, X})));
  EXPECT_TRUE(
      at::equal(batch.attention_mask[1], longs({1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0})));
  EXPECT_TRUE(at::equal(batch.attention_mask[0], at::ones({14}, at::kLong)));
  EXPECT_TRUE(at::equal(batch.position_ids[1], at::arange(14, at::kLong)));
  // Image indices address the batch's images: sample b's image is the third (offset 2).
  EXPECT_TRUE(
      at::equal(batch.image[1], longs({-1, -1, 2, 2, 2, 2, -1, -1, -1, -1, -1, -1, -1, -1})));
  EXPECT_TRUE(
      at::equal(batch.slot[1], longs({-1, -1, 0, 1, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1})));
  EXPECT_EQ(batch.output.sum().item<int64_t>(), 3);  // sample a's output slots only
  EXPECT_TRUE(batch.output[0][9].item<bool>());
}

TEST(SetokimSequence, LeftPaddingIsRightPaddingShiftedToTheEnd) {
  const Sequence b =
      expand_images(conversation({1, I, 20, 2}, {X, X, 20, 2}), {4}, kIds, ImageSpan::kMar);
  const Sequence a = sample_a(ImageSpan::kMar);
  const SequenceBatch right = collate_sequences({a, b}, {0, 2}, /*pad=*/0);
  const SequenceBatch left = collate_sequences({a, b}, {0, 2}, /*pad=*/0, Padding::kLeft);
  ASSERT_EQ(left.input_ids.sizes(), right.input_ids.sizes());
  const int64_t T = right.input_ids.size(1), n = b.size();  // 14, 9
  EXPECT_TRUE(at::equal(left.attention_mask[1], longs({0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1})));
  // Row 1's real entries move to the end, unchanged; the full row is the same either way.
  for (const auto& [l, r] : {std::pair{left.input_ids, right.input_ids},
                             {left.labels, right.labels},
                             {left.image, right.image},
                             {left.slot, right.slot},
                             {left.count, right.count},
                             {left.spans, right.spans},
                             {left.output.to(at::kLong), right.output.to(at::kLong)}}) {
    EXPECT_TRUE(at::equal(l[1].narrow(0, T - n, n), r[1].narrow(0, 0, n)));
    EXPECT_TRUE(at::equal(l[0], r[0]));
  }
  EXPECT_TRUE(at::equal(left.input_ids[1].narrow(0, 0, T - n), at::zeros({T - n}, at::kLong)));
  EXPECT_TRUE(at::equal(left.labels[1].narrow(0, 0, T - n), at::full({T - n}, X, at::kLong)));
  EXPECT_TRUE(at::equal(left.image[1].narrow(0, 0, T - n), at::full({T - n}, -1, at::kLong)));
  // Real positions count from 0 in both layouts.
  EXPECT_TRUE(at::equal(left.position_ids[1].narrow(0, T - n, n), at::arange(n, at::kLong)));
  EXPECT_TRUE(at::equal(left.position_ids[0], at::arange(T, at::kLong)));
}

TEST(SetokimSequence, AppendedTextIsPlainAndCollates) {
  Sequence a = sample_a(ImageSpan::kMar);
  const int64_t n = a.size();
  append_text(a, {30, 31});
  ASSERT_EQ(a.size(), n + 2);
  for (const auto* v : {&a.labels, &a.image, &a.slot, &a.count, &a.span})
    ASSERT_EQ(static_cast<int64_t>(v->size()), n + 2);
  EXPECT_EQ(a.input_ids[static_cast<size_t>(n)], 30);
  EXPECT_EQ(a.labels[static_cast<size_t>(n + 1)], X);
  EXPECT_EQ(a.image[static_cast<size_t>(n)], -1);
  EXPECT_FALSE(a.output[static_cast<size_t>(n)]);
  EXPECT_EQ(a.span[static_cast<size_t>(n)], -1);
  const SequenceBatch batch = collate_sequences({a}, {0}, /*pad=*/0, Padding::kLeft);
  EXPECT_EQ(batch.input_ids[0][-1].item<int64_t>(), 31);
}

TEST(SetokimSequence, TruncationNeverCutsAnImage) {
  const Sequence a = sample_a();  // 14 positions, the last image ends at position 13
  EXPECT_EQ(truncate(a, 100).size(), 14);
  const Sequence cut = truncate(a, 13);  // drops the final </s> only
  EXPECT_EQ(cut.size(), 13);
  EXPECT_EQ(cut.input_ids.back(), 51);
  EXPECT_EQ(truncate(a, 12).size(), 0);  // would cut the output image: the sample cannot fit
  EXPECT_EQ(truncate(a, 3).size(), 0);
}

TEST(SetokimSequence, BadMarkersAreErrors) {
  EXPECT_NE(test::error_of([] {
              expand_images(conversation({1, I, I, 2}, {X, X, X, 2}), {3}, kIds, ImageSpan::kMar);
            }).find("more image markers than images"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              expand_images(conversation({1, I, 2}, {X, X, 2}), {3, 4}, kIds, ImageSpan::kMar);
            }).find("2 image(s) but 1 marker(s)"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              expand_images(conversation({1, 52, 2}, {X, X, 2}), {3}, kIds, ImageSpan::kMar);
            }).find("outside an assistant reply"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              expand_images(conversation({1, I}, {X, X}), {0}, kIds, ImageSpan::kMar);
            }).find("has no token"),
            std::string::npos);
}

TEST(SlotMasking, RatioIsTruncatedNormalAndMasksAreDeterministic) {
  SlotMaskingOptions o;  // MAR: N(1, 0.25) truncated to [0.7, 1]
  double sum = 0, lo = 1, hi = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const double r = draw_mask_ratio(o, 7, static_cast<uint64_t>(i), 0);
    sum += r, lo = std::min(lo, r), hi = std::max(hi, r);
  }
  EXPECT_GE(lo, 0.7);
  EXPECT_LE(hi, 1.0);
  EXPECT_LT(lo, 0.72);  // the whole range is used
  EXPECT_GT(hi, 0.98);
  // The truncated normal's mean: 1 - 0.25 (phi(0) - phi(-1.2)) / (Phi(0) - Phi(-1.2)) = 0.867.
  EXPECT_NEAR(sum / n, 0.867, 0.01);
  for (int64_t L : {1, 5, 37}) {
    const at::Tensor m = hidden_slots(L, o, 7, 3, 1);
    const double r = draw_mask_ratio(o, 7, 3, 1);
    EXPECT_EQ(m.sum().item<int64_t>(), static_cast<int64_t>(std::ceil(L * r))) << L;
    EXPECT_TRUE(at::equal(m, hidden_slots(L, o, 7, 3, 1)));  // same sample, same mask
  }
  int differ = 0;
  for (uint64_t s = 0; s < 20; ++s)
    differ += !at::equal(hidden_slots(16, o, 7, s, 0), hidden_slots(16, o, 7, s + 100, 0));
  EXPECT_GT(differ, 10);  // other samples, other masks
  EXPECT_THROW(hidden_slots(0, o, 7, 0, 0), Error);
}

TEST(SlotMasking, DiffusionSeedsAreDistinctPerSlotAndStablePerSample) {
  // Every slot of every (seed, sample, image) gets its own seed: a slot sharing another's seed
  // would share its timesteps and noise, and the diffusion loss would collapse onto one draw.
  std::set<int64_t> seen;
  for (uint64_t seed : {1, 2})
    for (uint64_t sample : {0, 1, 1000003})
      for (uint64_t image : {0, 1}) {
        const at::Tensor s = slot_diffusion_seeds(64, seed, sample, image);  // [64]
        ASSERT_EQ(s.sizes(), (at::IntArrayRef{64}));
        EXPECT_TRUE(at::equal(s, slot_diffusion_seeds(64, seed, sample, image)));
        // A shorter image's seeds are a prefix: a slot's seed does not depend on the count.
        EXPECT_TRUE(at::equal(s.narrow(0, 0, 5), slot_diffusion_seeds(5, seed, sample, image)));
        for (int64_t j = 0; j < 64; ++j) seen.insert(s[j].item<int64_t>());
      }
  EXPECT_EQ(seen.size(), 2u * 3u * 2u * 64u);
}

}  // namespace
}  // namespace setok::mllm
