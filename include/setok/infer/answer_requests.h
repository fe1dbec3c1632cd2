#pragma once
// `setok_infer vqa` and `setok_infer caption` on the request runner (docs/inference.md):
//   vqa:     {"id", "image", "question"} -> {"answer", "image_tokens"}; the question is posed as
//            the VQA data trains it (data::question_turn: "<image>\n" + question [+ the answer
//            style's prompt]), in the style the run was trained with unless told otherwise
//            (choose_answer_style)
//   caption: {"id", "image"} -> {"caption", "image_tokens"}; posed as the captioning task
//            trains ("<image>\nDescribe the image.")
// Images are read relative to `image_root`; a missing or undecodable image fails its request
// only.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "setok/data/vqa_readers.h"
#include "setok/infer/request_runner.h"
#include "setok/infer/setokim_answer.h"
#include "setok/vision/preprocess.h"

namespace setok::infer {

enum class AnswerTask { kVqa, kCaption };

struct AnswerTaskOptions {
  AnswerTask task = AnswerTask::kVqa;
  std::filesystem::path image_root;
  vision::ImagePreprocess preprocess;
  data::AnswerStyle answer_style = data::AnswerStyle::kShort;  // vqa
  AnswerOptions answer;
};

// The style a vqa request is posed in: `asked` when given (with a warning when the run's training
// data never posed questions that way); else the run's own — short when its data posed questions
// in short (LLaVA-1.5's VQA form), else plain when it did (conversations ask as written), else
// short with a warning (the data asked no short or plain questions).
struct AnswerStyleChoice {
  data::AnswerStyle style = data::AnswerStyle::kShort;
  std::string warning;  // empty when the style is one the run was trained with
};
AnswerStyleChoice choose_answer_style(const std::optional<data::AnswerStyle>& asked,
                                      const std::vector<data::AnswerStyle>& trained);

// Reply length limits of the two tasks (`setok_infer vqa | caption` defaults; demo-eval's
// single questions use the vqa one, so that it asks as the command does).
constexpr int64_t kVqaMaxNewTokens = 32;
constexpr int64_t kCaptionMaxNewTokens = 96;

// An answer with nothing but spaces, tabs, newlines and full stops (the characters exact-match
// scoring trims): counted as empty by the request summary and by demo-eval.
bool is_empty_answer(const std::string& text);

// The fields a task's request lines need ("image", and "question" for vqa).
std::vector<std::string> answer_task_fields(AnswerTask task);

std::vector<RequestOutcome> answer_requests(mllm::SetokimImpl& setokim,
                                            const llm::TextTokenizer& text,
                                            const std::vector<Request>& requests,
                                            const AnswerTaskOptions& options);

}  // namespace setok::infer
