// LLM text tokenizer (BOS/EOS, added specials, <image> splitting, decoding) and the chat
// templates' exact label masking, including the mismatch path.
#include "setok/llm/text_tokenizer.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "llm_fixtures.h"
#include "setok/llm/chat_template.h"
#include "temp_dir.h"

namespace setok::llm {
namespace {

// One tokenizer for the whole suite (training takes a moment).
using TextTokenizerTest = test::ChatTokenizerSuite;

// The contiguous runs of labels != -100.
std::vector<std::vector<int64_t>> trained_spans(const TokenizedConversation& c) {
  std::vector<std::vector<int64_t>> spans;
  bool in = false;
  for (size_t i = 0; i < c.labels.size(); ++i) {
    if (c.labels[i] == kIgnoreIndex) {
      in = false;
      continue;
    }
    EXPECT_EQ(c.labels[i], c.input_ids[i]);
    if (!in) spans.emplace_back();
    spans.back().push_back(c.labels[i]);
    in = true;
  }
  return spans;
}

TEST_F(TextTokenizerTest, RoundTripBosAndSpecialIds) {
  const TextTokenizer& t = tok();
  const int64_t V = t.base_vocab_size();
  EXPECT_EQ(t.vocab_size(), V + 3);
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_EQ(t.pad_id(), 0);
  const std::string text = "There are two red circles.";
  const auto ids = t.encode(text);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(std::vector<int64_t>(ids.begin() + 1, ids.end()), t.encode(text, false));
  EXPECT_EQ(t.decode(ids), text);

  const auto s = t.encode("<im_start><target><target><im_end></s>", false);
  EXPECT_EQ(s, (std::vector<int64_t>{V, V + 2, V + 2, V + 1, 2}));
  EXPECT_EQ(t.im_start_id(), V);
  EXPECT_EQ(t.im_end_id(), V + 1);
  EXPECT_EQ(t.target_id(), V + 2);
  EXPECT_EQ(t.decode(s), "");
  EXPECT_EQ(t.decode(s, /*skip_special=*/false), "<im_start><target><target><im_end></s>");
  EXPECT_NE(test::error_of([&] { t.decode({V + 3}); }).find("outside the vocabulary"),
            std::string::npos);
}

TEST_F(TextTokenizerTest, ImageMarkerSplitsTheText) {
  const TextTokenizer& t = tok();
  const auto ids = t.encode("<image>\nWhat colour is the star?");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], kImageTokenId);
  const auto rest = t.sentencepiece().encode("\nWhat colour is the star?");
  EXPECT_EQ(std::vector<int64_t>(ids.begin() + 2, ids.end()), rest);
  // The chunks on each side are encoded on their own.
  const auto both = t.encode("a star<image>a circle", false);
  auto expect = t.sentencepiece().encode("a star");
  expect.push_back(kImageTokenId);
  const auto tail = t.sentencepiece().encode("a circle");
  expect.insert(expect.end(), tail.begin(), tail.end());
  EXPECT_EQ(both, expect);
  EXPECT_EQ(t.decode(both, false), "a star<image>a circle");
}

TEST_F(TextTokenizerTest, VicunaRenderingIsExact) {
  const std::vector<Message> turns = {{"human", "What colour is the star?"},
                                      {"gpt", "It is red."},
                                      {"human", "How many circles are there?"},
                                      {"gpt", "There are two."}};
  const RenderedPrompt r = render_conversation(ChatTemplate::kVicunaV1, turns);
  EXPECT_EQ(r.text, std::string(kVicunaSystem) +
                        " USER: What colour is the star? ASSISTANT: It is red.</s>USER: How many "
                        "circles are there? ASSISTANT: There are two.</s>");
  ASSERT_EQ(r.replies.size(), 2u);
  EXPECT_EQ(r.text.substr(r.replies[0].first, r.replies[0].second - r.replies[0].first),
            " It is red.</s>");
  const auto gen = render_conversation(ChatTemplate::kVicunaV1, {{"human", "Hi"}}, true);
  EXPECT_EQ(gen.text, std::string(kVicunaSystem) + " USER: Hi ASSISTANT:");
  EXPECT_NE(test::error_of([&] {
              render_conversation(ChatTemplate::kVicunaV1, {{"human", "a"}, {"human", "b"}});
            }).find("expected a assistant turn"),
            std::string::npos);
}

TEST_F(TextTokenizerTest, VicunaMasksEverythingButReplies) {
  const TextTokenizer& t = tok();
  for (const size_t rounds : {1u, 3u}) {
    std::vector<Message> turns;
    std::vector<std::string> replies;
    for (size_t i = 0; i < rounds; ++i) {
      turns.push_back({"human", i == 0 ? "<image>\nWhat colour is the square?" : "And the star?"});
      replies.push_back(i % 2 == 0 ? "It is blue." : "There are two green stars.");
      turns.push_back({"gpt", replies.back()});
    }
    const TokenizedConversation c = tokenize_conversation(t, ChatTemplate::kVicunaV1, turns);
    ASSERT_FALSE(c.mismatch);
    ASSERT_EQ(c.input_ids.size(), c.labels.size());
    EXPECT_EQ(c.input_ids, t.encode(c.prompt));
    EXPECT_EQ(c.labels[0], kIgnoreIndex);  // BOS
    const auto spans = trained_spans(c);
    ASSERT_EQ(spans.size(), rounds);
    for (size_t i = 0; i < rounds; ++i) {
      EXPECT_EQ(spans[i].back(), t.eos_id()) << "reply " << i << " ends with </s>";
      EXPECT_EQ(t.decode(spans[i]), replies[i]);
    }
    // Exactly the reply tokens are trained: " <reply>" plus </s>, per round.
    size_t trained = 0;
    for (const auto& s : spans) trained += s.size();
    size_t want = 0;
    for (const auto& reply : replies) want += t.encode(" " + reply, false).size() + 1;
    EXPECT_EQ(trained, want);
    EXPECT_EQ(std::count(c.input_ids.begin(), c.input_ids.end(), kImageTokenId), 1);
  }
}

TEST_F(TextTokenizerTest, PlainTrainsOnTheCaption) {
  const TextTokenizer& t = tok();
  const TokenizedConversation c = tokenize_conversation(
      t, ChatTemplate::kPlain,
      {{"human", "<image>\nDescribe the image."}, {"gpt", "a large red star"}});
  EXPECT_EQ(c.prompt, "<image>a large red star\n");
  ASSERT_GE(c.input_ids.size(), 4u);
  EXPECT_EQ(c.input_ids[1], kImageTokenId);
  EXPECT_EQ(c.labels[0], kIgnoreIndex);
  EXPECT_EQ(c.labels[1], kIgnoreIndex);
  const auto spans = trained_spans(c);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].size(), c.input_ids.size() - 2);
  EXPECT_EQ(t.decode(spans[0]), "a large red star\n");
}

TEST(ChatTemplateMismatch, CrossBoundaryPiecesMaskTheSample) {
  // "ASSISTANT: OK." is one piece of this tokenizer, so the reply " OK.</s>" does not start on
  // a token boundary: the sample must be flagged and masked entirely.
  test::TempDir dir;
  const TextTokenizer t(test::train_cross_boundary_spm(dir.path()));
  const TokenizedConversation bad = tokenize_conversation(
      t, ChatTemplate::kVicunaV1, {{"human", "Is the star red?"}, {"gpt", "OK."}}, "test record");
  EXPECT_TRUE(bad.mismatch);
  EXPECT_FALSE(bad.input_ids.empty());
  EXPECT_TRUE(std::all_of(bad.labels.begin(), bad.labels.end(),
                          [](int64_t l) { return l == kIgnoreIndex; }));
  // The plain template's reply starts after a special token, so it is always clean.
  const TokenizedConversation fine =
      tokenize_conversation(t, ChatTemplate::kPlain, {{"human", "<image>"}, {"gpt", "OK."}});
  EXPECT_FALSE(fine.mismatch);
}

}  // namespace
}  // namespace setok::llm
