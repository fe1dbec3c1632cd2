// Setokim answering: a batch of requests with different image counts and prompt lengths gives
// what each request gives alone; image tokens land where the markers were; errors name the
// request. A random tiny Setokim (the tiny config's shapes, smaller still).
#include "setok/infer/setokim_answer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/image.h"
#include "setok/llm/chat_template.h"
#include "setok/mllm/image_batch.h"
#include "tiny_setokim.h"

namespace setok::infer {
namespace {

using test::tiny_setokim;

at::Tensor pixels(uint64_t seed) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::rand({3, 64, 64}, g) * 2 - 1;
}

TEST(SetokimAnswer, BatchOfThreeEqualsOneAtATime) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  auto t = tiny_setokim();
  const std::vector<AnswerRequest> requests = {
      {{pixels(1)}, {{"human", "<image>\nhow many red shapes are there?"}}},
      {{pixels(2), pixels(3)},
       {{"human", "<image>\nwhat is left?"}, {"gpt", "a circle"}, {"human", "and here? <image>"}}},
      {{}, {{"human", "say something"}}}};
  AnswerOptions o;
  o.generation.max_new_tokens = 6;
  o.generation.stop_at_eos = false;  // a random model: always 6 tokens, the longest comparison
  const std::vector<Answer> batch = answer(*t.setokim, *t.text, requests, o);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[1].image_tokens.size(), 2u);
  EXPECT_TRUE(batch[2].image_tokens.empty());
  for (size_t r = 0; r < requests.size(); ++r) {
    const std::vector<Answer> alone = answer(*t.setokim, *t.text, {requests[r]}, o);
    EXPECT_EQ(alone[0].tokens, batch[r].tokens) << "request " << r;
    EXPECT_EQ(alone[0].text, batch[r].text);
    EXPECT_EQ(alone[0].image_tokens, batch[r].image_tokens);
    EXPECT_EQ(alone[0].prompt_length, batch[r].prompt_length);
    EXPECT_EQ(batch[r].tokens.size(), 6u);
    EXPECT_EQ(batch[r].finish, "length");
  }
  // The rows differ in length, so the batch is left-padded: the prompts end together.
  const PromptBatch p = build_prompts(*t.setokim, *t.text, requests, o.chat_template);
  EXPECT_EQ(p.attention_mask.size(1), *std::max_element(p.lengths.begin(), p.lengths.end()));
  for (int64_t b = 0; b < 3; ++b) {
    EXPECT_EQ(p.attention_mask[b].sum().item<int64_t>(), p.lengths[static_cast<size_t>(b)]);
    EXPECT_EQ(p.attention_mask[b][-1].item<int64_t>(), 1);
  }
}

TEST(SetokimAnswer, ImageTokensReplaceTheMarker) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  auto t = tiny_setokim();
  const at::Tensor img = pixels(7);
  const PromptBatch p = build_prompts(*t.setokim, *t.text, {{{img}, {{"human", "<image>\nwhat?"}}}},
                                      llm::ChatTemplate::kVicunaV1);
  at::NoGradGuard no_grad;
  const tokenizer::SetokTokens tok = t.setokim->setok->forward(img.unsqueeze(0));
  const int64_t L = tok.clusters.counts[0].item<int64_t>();
  ASSERT_EQ(p.image_tokens[0], (std::vector<int64_t>{L}));
  // The prompt: BOS + system + "USER:" ... then <im_start>, L projected tokens, <im_end>.
  const std::vector<int64_t> ids = t.text->encode(
      llm::render_conversation(llm::ChatTemplate::kVicunaV1, {{"human", "<image>\nwhat?"}}, true)
          .text);
  const auto marker = std::find(ids.begin(), ids.end(), llm::kImageTokenId) - ids.begin();
  const at::Tensor projected =
      t.setokim->model->mm_in_projector->forward(tok.tokens[0].narrow(0, 0, L));  // [L, H]
  EXPECT_TRUE(at::allclose(p.embeds[0].narrow(0, marker + 1, L), projected, 1e-5, 1e-6));
  const at::Tensor start =
      t.setokim->model->embed_ids(at::full({1, 1}, t.text->im_start_id(), at::kLong));
  EXPECT_TRUE(at::allclose(p.embeds[0][marker], start[0][0]));
  EXPECT_EQ(p.lengths[0], static_cast<int64_t>(ids.size()) - 1 + L + 2);
}

// Training (stage 2/3's forward) and answering build a sample through the same functions: the
// images through mllm::tokenize_images, the conversation through expand_images, the batch through
// collate_sequences (right- or left-padded). For one image and its question, the prompt's
// embeddings are the training sequence's up to where the answer starts.
TEST(SetokimAnswer, TrainingAndAnsweringBuildTheSameSequenceForAnImage) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  auto t = tiny_setokim();
  const llm::ChatTemplate chat = llm::ChatTemplate::kVicunaV1;
  const std::vector<std::vector<at::Tensor>> images = {{pixels(11)}, {pixels(12), pixels(13)}};
  const std::vector<int64_t> seeds = {40, 48, 49};  // as training gives them: sample * 8 + k
  const mllm::ImageBatch a = mllm::tokenize_images(*t.setokim, images, seeds);
  const mllm::ImageBatch b = mllm::tokenize_images(*t.setokim, images, seeds);
  ASSERT_EQ(a.counts.size(), 3u);
  EXPECT_EQ(a.first, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(a.of(1), (std::vector<int64_t>{a.counts[1], a.counts[2]}));
  EXPECT_TRUE(at::equal(a.tokens, b.tokens));  // seeded: the same tokens in any call
  // Sample 0 of that batch: its training sequence and its prompt.
  const std::vector<llm::Message> question = {{"human", "<image>\nhow many objects?"}};
  std::vector<llm::Message> trained = question;
  trained.push_back({"gpt", "three"});
  const mllm::SpecialIds ids{t.text->im_start_id(), t.text->im_end_id(), t.text->target_id(),
                             t.text->pad_id()};
  const mllm::Sequence train_row = mllm::expand_images(
      llm::tokenize_conversation(*t.text, chat, trained), a.of(0), ids, mllm::ImageSpan::kMar);
  const mllm::SequenceBatch train_batch = mllm::collate_sequences({train_row}, {0}, 0);
  const mllm::Sequence prompt = prompt_sequence(*t.text, chat, question, a.of(0));
  const int64_t P = prompt.size();
  ASSERT_LT(P, train_row.size());
  EXPECT_EQ(std::vector<int64_t>(train_row.input_ids.begin(), train_row.input_ids.begin() + P),
            prompt.input_ids);
  // Embedded: answering left-pads beside a longer row; training right-pads.
  std::vector<llm::Message> q2 = question;
  q2[0].value = "<image>\nwhat colour is the largest shape in this picture?";
  const mllm::Sequence other = prompt_sequence(*t.text, chat, q2, {a.counts[1]});
  const PromptBatch p = embed_left_padded(*t.setokim, a, {prompt, other}, {0, 1}, t.text->pad_id());
  const int64_t L = p.embeds.size(1);
  ASSERT_GT(L, P);  // row 0 is left-padded
  at::NoGradGuard no_grad;
  const at::Tensor trained_embeds =
      t.setokim->model->embed(train_batch, a.tokens, {});  // [1, T, H]
  EXPECT_TRUE(
      at::allclose(p.embeds[0].narrow(0, L - P, P), trained_embeds[0].narrow(0, 0, P), 1e-6, 1e-6));
  EXPECT_NE(test::error_of([&] {
              mllm::tokenize_images(*t.setokim, images, {1, 2});
            }).find("2 seeds for 3 images"),
            std::string::npos);
}

TEST(SetokimAnswer, MarkersAndImagesMustAgree) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  auto t = tiny_setokim();
  AnswerOptions o;
  o.generation.max_new_tokens = 1;
  const std::string e = test::error_of([&] {
    answer(*t.setokim, *t.text,
           {{{pixels(1)}, {{"human", "<image> ok"}}}, {{pixels(2)}, {{"human", "no marker"}}}}, o);
  });
  EXPECT_NE(e.find("request 1: setokim sequence: 1 image(s) but"), std::string::npos) << e;
}

}  // namespace
}  // namespace setok::infer
