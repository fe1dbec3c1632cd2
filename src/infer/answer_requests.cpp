#include "setok/infer/answer_requests.h"

#include "setok/io/image.h"
#include "setok/mllm/sequence.h"
#include "setok/runtime/error.h"

namespace setok::infer {

namespace fs = std::filesystem;

std::vector<std::string> answer_task_fields(AnswerTask task) {
  if (task == AnswerTask::kVqa) return {"image", "question"};
  return {"image"};
}

std::vector<RequestOutcome> answer_requests(mllm::SetokimImpl& setokim,
                                            const llm::TextTokenizer& text,
                                            const std::vector<Request>& requests,
                                            const AnswerTaskOptions& o) {
  std::vector<RequestOutcome> out(requests.size());
  std::vector<AnswerRequest> ready;
  std::vector<size_t> where;  // ready[k] answers requests[where[k]]
  const std::string suffix = data::style_prompt(o.answer_style);
  for (size_t i = 0; i < requests.size(); ++i) {
    const io::Json& f = requests[i].fields;
    const fs::path path = request_file(requests[i], "image", o.image_root);
    AnswerRequest r;
    try {
      r.images = {vision::preprocess_image(io::read_image(path), o.preprocess, path.string())};
    } catch (const Error& e) {
      out[i].error = e.what();
      continue;
    }
    std::string human = "<image>\n";
    if (o.task == AnswerTask::kVqa) {
      human += f["question"].get<std::string>();
      if (!suffix.empty()) human += "\n" + suffix;
    } else {
      human += mllm::kCaptionQuestion;
    }
    r.turns = {{"human", human}};
    ready.push_back(std::move(r));
    where.push_back(i);
  }
  if (ready.empty()) return out;
  const std::vector<Answer> answers = answer(setokim, text, ready, o.answer);
  for (size_t k = 0; k < answers.size(); ++k) {
    const char* key = o.task == AnswerTask::kVqa ? "answer" : "caption";
    out[where[k]].result = {{key, answers[k].text},
                            {"image_tokens", answers[k].image_tokens.at(0)}};
  }
  return out;
}

}  // namespace setok::infer
