// Setokim's image sampler against training: the MAR span the sampler runs each step gives the
// conditions training's forward gives for the same sequence, hidden set and tokens (left padding
// included), and the count is read where training teaches it.
#include "setok/mllm/image_sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "errors.h"
#include "tiny_setokim_model.h"

namespace setok::mllm {
namespace {

TEST(MarSpan, ConditionsEqualTrainingsForward) {
  SetokimModel m = test::tiny_setokim_model();
  at::NoGradGuard g;
  constexpr int64_t N = 4;
  const SequenceBatch b = collate_sequences({test::tiny_setokim_sample(N)}, {0}, 0);
  const at::Tensor tokens = at::randn({2, N, 8});  // input image, output image
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][10] = hidden[0][12] = true;  // slots 1 and 3 hidden, 0 and 2 revealed
  const at::Tensor h = m->forward(b, tokens, hidden).hidden[0];  // [T, H]
  const at::Tensor z_train = m->condition(h.narrow(0, 9, N), at::arange(N, at::kLong));
  // Inference: the prefix up to and with <im_start> (positions 0..8), left-padded by 2 columns.
  const at::Tensor prefix = m->embed(b, tokens, {}).narrow(1, 0, 9);  // [1, 9, H]
  const at::Tensor padded = at::cat({at::randn({1, 2, prefix.size(2)}), prefix}, 1);
  const at::Tensor mask = at::cat({at::zeros({1, 2}, at::kLong), at::ones({1, 9}, at::kLong)}, 1);
  MarSpan span(*m, {padded, mask, 1});
  // The count is read from the state at <im_start>, where training puts its label.
  EXPECT_TRUE(at::allclose(m->count_logits(span.last_prefix_state()[0]), m->count_logits(h[8]),
                           1e-5, 1e-5));
  span.set_counts({N});
  const at::Tensor z =
      span.conditions(tokens[1].unsqueeze(0), hidden[0].narrow(0, 9, N).unsqueeze(0));
  EXPECT_TRUE(at::allclose(z[0], z_train, 1e-4, 1e-5)) << (z[0] - z_train).abs().max();
  // Another state of the span gives other conditions (the check above can fail).
  const at::Tensor all_hidden = at::ones({1, N}, at::kBool);
  EXPECT_FALSE(
      at::allclose(span.conditions(tokens[1].unsqueeze(0), all_hidden)[0], z_train, 1e-4, 1e-5));
  // A call re-runs the span over the same prefix: repeating it gives the same again.
  EXPECT_TRUE(at::allclose(
      span.conditions(tokens[1].unsqueeze(0), hidden[0].narrow(0, 9, N).unsqueeze(0))[0], z_train,
      1e-4, 1e-5));
}

// With start_condition the span's conditions read the prefix's last state (<im_start>) as
// training reads position 8.
TEST(MarSpan, StartConditionEqualsTrainingsForward) {
  SetokimModel m = test::tiny_setokim_model(ImageSpan::kMar, /*start_condition=*/true);
  at::NoGradGuard g;
  constexpr int64_t N = 3;
  const SequenceBatch b = collate_sequences({test::tiny_setokim_sample(N)}, {0}, 0);
  const at::Tensor tokens = at::randn({2, N, 8});
  at::Tensor hidden = at::zeros_like(b.output);
  hidden[0][10] = true;
  const at::Tensor h = m->forward(b, tokens, hidden).hidden[0];  // [T, H]
  const at::Tensor z_train =
      m->condition(h.narrow(0, 9, N), at::arange(N, at::kLong), h[8].expand({N, -1}));
  const at::Tensor prefix = m->embed(b, tokens, {}).narrow(1, 0, 9);  // [1, 9, H]
  MarSpan span(*m, {prefix, at::ones({1, 9}, at::kLong), 1});
  span.set_counts({N});
  const at::Tensor z =
      span.conditions(tokens[1].unsqueeze(0), hidden[0].narrow(0, 9, N).unsqueeze(0));
  EXPECT_TRUE(at::allclose(z[0], z_train, 1e-4, 1e-5)) << (z[0] - z_train).abs().max();
  // Both designs draw with it end to end.
  for (const ImageSpan design : {ImageSpan::kMar, ImageSpan::kAr}) {
    SetokimModel model = test::tiny_setokim_model(design, /*start_condition=*/true);
    ImageSamplingOptions o;
    o.num_tokens = 2;
    o.mar.num_iter = 2;
    const at::Tensor p = model->embed_ids(
        at::tensor(std::vector<int64_t>{1, 5, test::kTinyVocab}, at::kLong).view({1, 3}));
    const SampledImages s = sample_image_tokens(*model, {p, at::ones({1, 3}, at::kLong), 1}, o,
                                                {at::make_generator<at::CPUGeneratorImpl>(5)});
    EXPECT_EQ(s.tokens.sizes(), (at::IntArrayRef{1, 2, 8}));
    EXPECT_TRUE(at::isfinite(s.tokens).all().item<bool>());
  }
}

TEST(ImageSampler, CountsAndErrors) {
  SetokimModel m = test::tiny_setokim_model();
  at::NoGradGuard g;
  const at::Tensor prefix =
      m->embed_ids(at::tensor(std::vector<int64_t>{1, 5, test::kTinyVocab}, at::kLong)
                       .view({1, 3}));  // "<s> 5 <im_start>"
  const ImagePrefix p{prefix, at::ones({1, 3}, at::kLong), 1};
  const auto gen = [] {
    return std::vector<at::Generator>{at::make_generator<at::CPUGeneratorImpl>(5)};
  };
  ImageSamplingOptions o;
  o.mar.num_iter = 2;
  // The model's count is the argmax of its count head, capped by max_tokens.
  const int64_t best =
      m->count_logits(
           m->llm->forward_embeds(prefix, {}, {}, nullptr, llm::LogitsFor::kNone).hidden[0][2])
          .argmax()
          .item<int64_t>() +
      1;
  const SampledImages own = sample_image_tokens(*m, p, o, gen());
  EXPECT_EQ(own.counts, std::vector<int64_t>{best});
  EXPECT_EQ(own.tokens.sizes(), (at::IntArrayRef{1, best, 8}));
  o.max_tokens = 1;
  EXPECT_EQ(sample_image_tokens(*m, p, o, gen()).counts, std::vector<int64_t>{1});
  o.num_tokens = 5;
  EXPECT_EQ(sample_image_tokens(*m, p, o, gen()).counts, std::vector<int64_t>{5});
  o.num_tokens = 7;  // the model has 6 slot rows
  EXPECT_NE(test::error_of([&] {
              sample_image_tokens(*m, p, o, gen());
            }).find("exceeds the model's max_image_tokens 6"),
            std::string::npos);
  o.num_tokens = 2;
  o.mar.cfg = 2.0;  // guidance needs a partner row
  EXPECT_NE(
      test::error_of([&] { sample_image_tokens(*m, p, o, gen()); }).find("unconditional partner"),
      std::string::npos);
}

}  // namespace
}  // namespace setok::mllm
