// The trained part of Setokim on a tiny random LLaMA: embeddings of text, specials and image
// positions; the text and diffusion losses against their definitions; the frozen base.
#include "setok/mllm/setokim_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "errors.h"
#include "tiny_setokim_model.h"

namespace setok::mllm {
namespace {

constexpr int64_t V = test::kTinyVocab, kNoLabel = llm::kIgnoreIndex;

SetokimModel tiny_model(ImageSpan span = ImageSpan::kMar) {
  return test::tiny_setokim_model(span);
}

Sequence sample(int64_t out = 3, ImageSpan span = ImageSpan::kMar) {
  return test::tiny_setokim_sample(out, span);
}

SequenceBatch batch(ImageSpan span = ImageSpan::kMar) {
  return collate_sequences({sample(3, span)}, {0}, 0);
}

TEST(SetokimModel, EmbedsTextSpecialsAndImagePositions) {
  SetokimModel m = tiny_model();
  at::NoGradGuard g;
  const at::Tensor ids =
      at::tensor(std::vector<int64_t>{3, V, V + 1, V + 2}, at::kLong).view({1, 4});
  const at::Tensor e = m->embed_ids(ids)[0];
  EXPECT_TRUE(at::equal(e[0], m->llm->model->embed_tokens->weight[3]));
  for (int64_t k = 0; k < 3; ++k) EXPECT_TRUE(at::equal(e[k + 1], m->special_embed[k]));
  EXPECT_THROW(m->embed_ids(at::tensor(std::vector<int64_t>{V + 3}, at::kLong).view({1, 1})),
               Error);

  const SequenceBatch b = batch();  // positions: 3, 4 input image; 9, 10, 11 output slots
  const at::Tensor tokens = at::randn({2, 3, 8});
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][10] = true;  // slot 1 of the output image is hidden, slots 0 and 2 visible
  const at::Tensor emb = m->embed(b, tokens, hidden)[0];
  const auto proj = [&](int64_t image, int64_t slot) {
    return m->mm_in_projector->forward(tokens[image][slot]);
  };
  EXPECT_TRUE(at::allclose(emb[3], proj(0, 0)));
  EXPECT_TRUE(at::allclose(emb[4], proj(0, 1)));
  EXPECT_TRUE(at::allclose(emb[9], proj(1, 0)));  // visible: the ground-truth token
  // hidden: the <target> row plus slot 1's index embedding
  EXPECT_TRUE(at::allclose(emb[10], m->special_embed[2] + m->slot_embed[1]));
  EXPECT_TRUE(at::allclose(emb[11], proj(1, 2)));
  EXPECT_TRUE(at::equal(emb[2], m->special_embed[0]));  // <im_start>
  EXPECT_TRUE(at::equal(emb[1], m->llm->model->embed_tokens->weight[5]));
}

// The text cross-entropy of position t's logits against the label at t + 1 (labelled ones).
std::pair<double, int64_t> text_ce(SetokimModel& m, const at::Tensor& hidden,
                                   const at::Tensor& labels) {
  const at::Tensor logits = m->logits(hidden);  // [T, V + 3]
  double ce = 0;
  int64_t n = 0;
  for (int64_t t = 0; t + 1 < labels.size(0); ++t) {
    const int64_t y = labels[t + 1].item<int64_t>();
    if (y == kNoLabel) continue;
    ce += -at::log_softmax(logits[t], 0)[y].item<double>();
    ++n;
  }
  return {ce, n};
}

TEST(SetokimModel, MarLossesMatchTheirDefinitions) {
  SetokimModel m = tiny_model();
  const SequenceBatch b = batch();
  const at::Tensor tokens = at::randn({2, 3, 8});
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][9] = hidden[0][11] = true;
  auto gen = [] { return at::make_generator<at::CPUGeneratorImpl>(3); };
  const SetokimLosses l = m->forward(b, tokens, hidden, gen());
  // Text: 7, <im_start>, </s> (no label inside the span or at <im_end>), plus the count (3
  // slots = class 2) from the state at <im_start> (position 8).
  const auto [ce, n] = text_ce(m, l.hidden[0], b.labels[0]);
  EXPECT_EQ(n, 3);
  const double count_ce = -at::log_softmax(m->count_logits(l.hidden[0][8]), 0)[2].item<double>();
  EXPECT_EQ(l.text_tokens, 4);
  EXPECT_NEAR(l.text.item<double>(), (ce + count_ce) / 4, 1e-5);
  // Diffusion: the hidden slots only, from their own position's state, z = LN(proj(h)) + pos.
  EXPECT_EQ(l.diffusion_slots, 2);
  const at::Tensor h = at::stack({l.hidden[0][9], l.hidden[0][11]});
  const at::Tensor z = m->z_norm->forward(m->mm_out_projector->forward(h)) +
                       at::stack({m->diffusion_pos_embed[0], m->diffusion_pos_embed[2]});
  EXPECT_TRUE(at::allclose(m->condition(h, at::tensor(std::vector<int64_t>{0, 2}, at::kLong)), z));
  const at::Tensor target = at::stack({tokens[1][0], tokens[1][2]});
  EXPECT_NEAR(l.diffusion.item<double>(), m->diffloss->forward(target, z, {}, gen()).item<double>(),
              1e-5);
  // Per-slot seeds drive each slot's (t, noise) draws: the same seeds give the same loss in any
  // call, and another seed for one slot changes it.
  at::Tensor seeds = at::zeros(b.output.sizes(), at::kLong);
  seeds[0][9] = 101;
  seeds[0][11] = 202;
  const double seeded = m->forward(b, tokens, hidden, std::nullopt, seeds).diffusion.item<double>();
  EXPECT_EQ(seeded, m->forward(b, tokens, hidden, std::nullopt, seeds).diffusion.item<double>());
  at::Tensor other_seeds = seeds.clone();
  other_seeds[0][11] = 303;
  EXPECT_NE(m->forward(b, tokens, hidden, std::nullopt, other_seeds).diffusion.item<double>(),
            seeded);
  // No hidden slot: no diffusion loss, no gradient into the head.
  const SetokimLosses none = m->forward(b, tokens, at::zeros_like(b.output), gen());
  EXPECT_EQ(none.diffusion_slots, 0);
  EXPECT_EQ(none.diffusion.item<double>(), 0.0);
}

// ar: every slot is visible and drawn, from the state one position before it; the slots say
// "another slot" and the last one "<im_end>".
TEST(SetokimModel, ArShiftsTheConditionByOnePosition) {
  SetokimModel m = tiny_model(ImageSpan::kAr);
  EXPECT_FALSE(m->count_head.defined());
  const SequenceBatch b = batch(ImageSpan::kAr);
  const at::Tensor tokens = at::randn({2, 3, 8});
  auto gen = [] { return at::make_generator<at::CPUGeneratorImpl>(3); };
  // A hidden mask is ignored: ar never hides a slot.
  const SetokimLosses l = m->forward(b, tokens, b.output, gen());
  const at::Tensor emb = m->embed(b, tokens, b.output)[0];
  for (int64_t j = 0; j < 3; ++j)
    EXPECT_TRUE(at::allclose(emb[9 + j], m->mm_in_projector->forward(tokens[1][j])));
  const auto [ce, n] = text_ce(m, l.hidden[0], b.labels[0]);
  EXPECT_EQ(n, 7);  // 7, <im_start>, 3 slots, <im_end>, </s>
  EXPECT_EQ(l.text_tokens, 7);
  EXPECT_NEAR(l.text.item<double>(), ce / n, 1e-5);
  EXPECT_EQ(l.diffusion_slots, 3);
  // Token j from the state at position 8 + j: <im_start> for token 0, slot j - 1 after.
  const at::Tensor z = m->condition(l.hidden[0].narrow(0, 8, 3), at::arange(3, at::kLong));
  EXPECT_NEAR(l.diffusion.item<double>(),
              m->diffloss->forward(tokens[1], z, {}, gen()).item<double>(), 1e-5);
}

// start_condition: every drawn slot's condition also reads the state at its image's <im_start>
// (position 8 here), under both designs; without that state the condition is refused.
TEST(SetokimModel, StartConditionReadsTheImagesStartState) {
  for (const ImageSpan span : {ImageSpan::kMar, ImageSpan::kAr}) {
    SetokimModel m = test::tiny_setokim_model(span, /*start_condition=*/true);
    ASSERT_TRUE(m->start_proj);
    const SequenceBatch b = batch(span);
    const at::Tensor tokens = at::randn({2, 3, 8});
    auto gen = [] { return at::make_generator<at::CPUGeneratorImpl>(3); };
    const SetokimLosses l = m->forward(b, tokens, b.output, gen());  // mar: every slot hidden
    const at::Tensor own = span == ImageSpan::kMar ? l.hidden[0].narrow(0, 9, 3)
                                                   : l.hidden[0].narrow(0, 8, 3);  // [3, H]
    const at::Tensor start = l.hidden[0][8].expand({3, -1});                       // [3, H]
    const at::Tensor z =
        m->z_norm->forward(m->mm_out_projector->forward(own) + m->start_proj->forward(start)) +
        m->diffusion_pos_embed.narrow(0, 0, 3);
    EXPECT_TRUE(at::allclose(m->condition(own, at::arange(3, at::kLong), start), z));
    EXPECT_NEAR(l.diffusion.item<double>(),
                m->diffloss->forward(tokens[1], z, {}, gen()).item<double>(), 1e-5);
    // Another start state gives another condition (the checks above can fail).
    EXPECT_FALSE(at::allclose(m->condition(own, at::arange(3, at::kLong), own), z, 1e-4, 1e-5));
    EXPECT_NE(test::error_of([&] {
                m->condition(own, at::arange(3, at::kLong));
              }).find("start_condition needs the <im_start> state"),
              std::string::npos);
  }
  // Off (the default): no start_proj, and the condition ignores a start state.
  SetokimModel plain = tiny_model();
  EXPECT_FALSE(plain->start_proj);
  const at::Tensor h = at::randn({2, 16});
  const at::Tensor slots = at::arange(2, at::kLong);
  EXPECT_TRUE(
      at::equal(plain->condition(h, slots), plain->condition(h, slots, at::randn({2, 16}))));
}

// Who sees whom: under mar the slots of an output image see each other both ways and nothing
// before the span sees them; under ar attention is causal throughout.
TEST(SetokimModel, EachSpanDesignAttendsAsDocumented) {
  for (const ImageSpan span : {ImageSpan::kMar, ImageSpan::kAr}) {
    SCOPED_TRACE(image_span_name(span));
    SetokimModel m = tiny_model(span);
    at::NoGradGuard g;
    const SequenceBatch b = batch(span);
    const at::Tensor tokens = at::randn({2, 3, 8});
    const at::Tensor hidden = at::zeros_like(b.output);  // every slot shows its token
    const at::Tensor h0 = m->forward(b, tokens, hidden).hidden[0];
    at::Tensor changed = tokens.clone();
    changed[1][2] += 1.0;  // the last output slot (position 11)
    const at::Tensor h1 = m->forward(b, changed, hidden).hidden[0];
    const auto same = [&](int64_t t) { return at::allclose(h0[t], h1[t], 1e-6, 1e-6); };
    for (int64_t t = 0; t <= 8; ++t) EXPECT_TRUE(same(t)) << t;  // up to <im_start>
    EXPECT_FALSE(same(11));
    EXPECT_FALSE(same(12));                      // <im_end> follows the span
    EXPECT_EQ(same(9), span == ImageSpan::kAr);  // slot 0 sees slot 2 under mar only
    EXPECT_EQ(same(10), span == ImageSpan::kAr);
  }
}

// The count is decided before the span: under mar, an output image of 2 or 5 slots leaves every
// state up to <im_start> — where the count is read — unchanged.
TEST(SetokimModel, MarCountDoesNotLeakIntoItsPrediction) {
  SetokimModel m = tiny_model();
  at::NoGradGuard g;
  const at::Tensor tokens = at::randn({2, 5, 8});
  at::Tensor states[2];
  int64_t i = 0;
  for (const int64_t out : {2, 5}) {
    const SequenceBatch b = collate_sequences({sample(out)}, {0}, 0);
    states[i++] = m->forward(b, tokens, b.output).hidden[0].narrow(0, 0, 9);  // all hidden
  }
  EXPECT_TRUE(at::allclose(states[0], states[1], 1e-6, 1e-6));
  // The count label sits at <im_start> and nowhere else.
  const Sequence s = sample(5);
  EXPECT_EQ(s.count[8], 5);
  EXPECT_EQ(std::count_if(s.count.begin(), s.count.end(), [](int64_t c) { return c >= 0; }), 1);
}

// Rows of different counts in one right-padded batch give each row's own states and losses.
TEST(SetokimModel, ABatchOfDifferentCountsEqualsEachRowAlone) {
  for (const ImageSpan span : {ImageSpan::kMar, ImageSpan::kAr}) {
    SCOPED_TRACE(image_span_name(span));
    SetokimModel m = tiny_model(span);
    at::NoGradGuard g;
    const at::Tensor tokens = at::randn({4, 5, 8});  // images: a input, a output, b input, b out
    const Sequence a = sample(2, span), c = sample(5, span);
    const SequenceBatch both = collate_sequences({a, c}, {0, 2}, 0);
    const at::Tensor hidden = both.output.clone();
    hidden[0][9] = false;  // one slot revealed
    const at::Tensor seeds = at::arange(both.output.numel(), at::kLong).view(both.output.sizes());
    const SetokimLosses l = m->forward(both, tokens, hidden, std::nullopt, seeds);
    double text = 0, diffusion = 0;
    for (int64_t r = 0; r < 2; ++r) {
      const SequenceBatch one = collate_sequences({r == 0 ? a : c}, {0}, 0);
      const int64_t T = one.input_ids.size(1);
      const at::Tensor row_tokens = tokens.narrow(0, 2 * r, 2);
      const SetokimLosses lr = m->forward(one, row_tokens, hidden[r].narrow(0, 0, T).unsqueeze(0),
                                          std::nullopt, seeds[r].narrow(0, 0, T).unsqueeze(0));
      EXPECT_TRUE(at::allclose(lr.hidden[0], l.hidden[r].narrow(0, 0, T), 1e-5, 1e-5));
      text += lr.text.item<double>() * static_cast<double>(lr.text_tokens);
      diffusion += lr.diffusion.item<double>() * static_cast<double>(lr.diffusion_slots);
    }
    EXPECT_NEAR(l.text.item<double>() * static_cast<double>(l.text_tokens), text, 1e-4);
    EXPECT_NEAR(l.diffusion.item<double>() * static_cast<double>(l.diffusion_slots), diffusion,
                1e-4);
  }
}

// A frozen base stays bitwise frozen: the special rows, projectors and head train on their own.
TEST(SetokimModel, TheSpecialRowsTrainApartFromAFrozenBase) {
  SetokimModel m = tiny_model();
  m->train();
  for (auto& p : m->llm->parameters()) p.requires_grad_(false);
  const SequenceBatch b = batch();
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][10] = true;
  const SetokimLosses l = m->forward(b, at::randn({2, 3, 8}), hidden);
  (l.text + l.diffusion).backward();
  for (const auto& p : m->llm->parameters()) EXPECT_FALSE(p.grad().defined());
  ASSERT_TRUE(m->special_embed.grad().defined());
  ASSERT_TRUE(m->special_head.grad().defined());
  EXPECT_GT(m->special_embed.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(m->special_head.grad().abs().sum().item<double>(), 0.0);
  for (auto* proj : {&m->mm_in_projector, &m->mm_out_projector}) {
    for (const auto& p : (*proj)->parameters()) EXPECT_TRUE(p.grad().defined());
  }
  // Names a stage-2 result is saved under and stage 3 loads.
  std::set<std::string> names;
  for (const auto& item : m->named_parameters()) names.insert(item.key());
  for (const char* n : {"special_embed", "special_head", "mm_in_projector.0.weight",
                        "mm_in_projector.2.weight", "mm_out_projector.0.bias", "llm.lm_head.weight",
                        "z_norm.weight", "diffusion_pos_embed", "count_head", "slot_embed"})
    EXPECT_TRUE(names.count(n)) << n;
}

}  // namespace
}  // namespace setok::mllm
