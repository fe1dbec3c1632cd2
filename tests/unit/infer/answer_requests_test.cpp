// How `setok_infer vqa` chooses the answer style (an explicit one wins, with a warning when the
// run never saw it, else the run's own) and what counts as an empty answer.
#include "setok/infer/answer_requests.h"

#include <gtest/gtest.h>

namespace setok::infer {
namespace {

using data::AnswerStyle;

TEST(AnswerStyleChoice, TheRunsOwnUnlessAsked) {
  // A run trained on conversations alone is asked plainly, with no warning.
  AnswerStyleChoice c = choose_answer_style(std::nullopt, {AnswerStyle::kPlain});
  EXPECT_EQ(c.style, AnswerStyle::kPlain);
  EXPECT_EQ(c.warning, "");
  // LLaVA-1.5's mixture (conversations and short-prompted VQA): short.
  c = choose_answer_style(std::nullopt, {AnswerStyle::kPlain, AnswerStyle::kShort});
  EXPECT_EQ(c.style, AnswerStyle::kShort);
  EXPECT_EQ(c.warning, "");
  c = choose_answer_style(std::nullopt, {AnswerStyle::kShort});
  EXPECT_EQ(c.style, AnswerStyle::kShort);
  // Asked explicitly: that style; one the run never saw is a warning naming what it saw.
  c = choose_answer_style(AnswerStyle::kShort, {AnswerStyle::kPlain});
  EXPECT_EQ(c.style, AnswerStyle::kShort);
  EXPECT_EQ(c.warning,
            "asking in answer style short, which the run never saw (it was trained with plain)");
  c = choose_answer_style(AnswerStyle::kPlain, {AnswerStyle::kPlain, AnswerStyle::kShort});
  EXPECT_EQ(c.style, AnswerStyle::kPlain);
  EXPECT_EQ(c.warning, "");
  // No short or plain questions in the data: short, and the log says why.
  c = choose_answer_style(std::nullopt, {});
  EXPECT_EQ(c.style, AnswerStyle::kShort);
  EXPECT_EQ(c.warning, "asking in answer style short: its training data posed no questions");
  c = choose_answer_style(std::nullopt, {AnswerStyle::kMultipleChoice});
  EXPECT_EQ(c.style, AnswerStyle::kShort);
  EXPECT_EQ(c.warning, "asking in answer style short: it was trained with multiple_choice");
}

TEST(AnswerRequests, EmptyAnswersAreWhatScoringTrimsAway) {
  for (const char* empty : {"", " ", "\n", " . \t.", "..."}) EXPECT_TRUE(is_empty_answer(empty));
  for (const char* answer : {"two", " red.", "0", "a b"}) EXPECT_FALSE(is_empty_answer(answer));
}

}  // namespace
}  // namespace setok::infer
