#include "setok/infer/answer_requests.h"

#include <algorithm>

#include "setok/io/image.h"
#include "setok/mllm/sequence.h"
#include "setok/runtime/error.h"

namespace setok::infer {

namespace fs = std::filesystem;

AnswerStyleChoice choose_answer_style(const std::optional<data::AnswerStyle>& asked,
                                      const std::vector<data::AnswerStyle>& trained) {
  const auto seen = [&](data::AnswerStyle s) {
    return std::find(trained.begin(), trained.end(), s) != trained.end();
  };
  std::string names;
  for (const auto s : trained)
    names += (names.empty() ? "" : ", ") + std::string(data::answer_style_name(s));
  const std::string trained_text =
      trained.empty() ? "its training data posed no questions" : "it was trained with " + names;
  AnswerStyleChoice c;
  if (asked) {
    c.style = *asked;
    if (!seen(*asked))
      c.warning = std::string("asking in answer style ") + data::answer_style_name(*asked) +
                  ", which the run never saw (" + trained_text + ")";
    return c;
  }
  if (seen(data::AnswerStyle::kShort)) {
    c.style = data::AnswerStyle::kShort;
  } else if (seen(data::AnswerStyle::kPlain)) {
    c.style = data::AnswerStyle::kPlain;
  } else {
    c.style = data::AnswerStyle::kShort;
    c.warning = "asking in answer style short: " + trained_text;
  }
  return c;
}

bool is_empty_answer(const std::string& text) {
  return text.find_first_not_of(" \t\n.") == std::string::npos;
}

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
    const std::string human =
        o.task == AnswerTask::kVqa
            ? data::question_turn(f["question"].get<std::string>(), o.answer_style)
            : std::string("<image>\n") + mllm::kCaptionQuestion;
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
    out[where[k]].empty_answer = is_empty_answer(answers[k].text);
  }
  return out;
}

}  // namespace setok::infer
