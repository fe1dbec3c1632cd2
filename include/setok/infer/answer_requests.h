#pragma once
// `setok_infer vqa` and `setok_infer caption` on the request runner (docs/inference.md):
//   vqa:     {"id", "image", "question"} -> {"answer", "image_tokens"}; the question is posed as
//            the VQA data trains it ("<image>\n" + question [+ the answer style's prompt])
//   caption: {"id", "image"} -> {"caption", "image_tokens"}; posed as the captioning task
//            trains ("<image>\nDescribe the image.")
// Images are read relative to `image_root`; a missing or undecodable image fails its request
// only.
#include <filesystem>
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

// The fields a task's request lines need ("image", and "question" for vqa).
std::vector<std::string> answer_task_fields(AnswerTask task);

std::vector<RequestOutcome> answer_requests(mllm::SetokimImpl& setokim,
                                            const llm::TextTokenizer& text,
                                            const std::vector<Request>& requests,
                                            const AnswerTaskOptions& options);

}  // namespace setok::infer
