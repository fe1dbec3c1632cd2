#include "answer.h"

#include <memory>

#include <CLI/CLI.hpp>

#include "requests.h"
#include "setok/infer/answer_requests.h"

namespace setok::apps {

namespace {

struct AnswerFlags {
  RequestFlags requests;
  std::string answer_style;  // empty: the run's own
  llm::GenerationOptions generation;
};

constexpr const char* kSetokimCheckpoint =
    "a Setokim run folder (stage 2 or 3; its latest checkpoint) or a step folder";

}  // namespace

std::function<int()> add_answer_commands(CLI::App& app, const CommonFlags& common) {
  auto vqa = std::make_shared<AnswerFlags>();
  auto caption = std::make_shared<AnswerFlags>();
  vqa->generation.max_new_tokens = infer::kVqaMaxNewTokens;
  caption->generation.max_new_tokens = infer::kCaptionMaxNewTokens;
  CLI::App* vqa_cmd = app.add_subcommand(
      "vqa",
      "Answer questions about images: {\"id\", \"image\", \"question\"} per line -> "
      "OUT/results.jsonl {\"id\", \"answer\", \"image_tokens\"} (setok_eval reads it); bad lines "
      "and failed requests -> OUT/errors.jsonl; a re-run skips answered ids");
  CLI::App* caption_cmd = app.add_subcommand(
      "caption",
      "Caption images: {\"id\", \"image\"} per line -> OUT/results.jsonl {\"id\", \"caption\", "
      "\"image_tokens\"}; errors and re-runs as vqa");
  for (auto [cmd, f] : {std::pair{vqa_cmd, vqa.get()}, std::pair{caption_cmd, caption.get()}}) {
    add_request_flags(*cmd, f->requests, infer::SetokimRunView{}, kSetokimCheckpoint);
    add_generation_flags(*cmd, f->generation);
  }
  vqa_cmd
      ->add_option("--answer-style", vqa->answer_style,
                   "short: LLaVA's single word or phrase prompt after the question (as VQA data "
                   "trains); plain: the question alone (as conversations train). Default: the "
                   "style the run's training data posed its questions in (short when it had "
                   "both); a style the run never saw is a warning")
      ->check(CLI::IsMember({"short", "plain"}));
  return [&app, vqa, caption, vqa_cmd, &common]() -> int {
    const bool is_vqa = app.got_subcommand(vqa_cmd);
    const AnswerFlags& f = is_vqa ? *vqa : *caption;
    infer::SetokimRunView cfg;
    mllm::Setokim setokim = load_setokim_for_requests(f.requests, common, cfg);
    const llm::TextTokenizer text(cfg.model.llm.tokenizer_path());
    infer::AnswerTaskOptions o;
    o.task = is_vqa ? infer::AnswerTask::kVqa : infer::AnswerTask::kCaption;
    o.image_root = request_image_root(f.requests);
    o.preprocess = cfg.model.vision.preprocess();
    if (is_vqa) o.answer_style = answer_style_for_run(f.answer_style, cfg);
    o.answer.chat_template = llm::parse_chat_template(cfg.model.llm.chat_template);
    o.answer.generation = f.generation;
    o.answer.generation.seed = static_cast<uint64_t>(
        f.requests.seed >= 0 ? f.requests.seed : static_cast<int64_t>(cfg.runtime.seed));
    return run_request_list(
        f.requests, infer::answer_task_fields(o.task), is_vqa ? "vqa" : "caption",
        [&](const std::vector<infer::Request>& batch) {
          return infer::answer_requests(*setokim, text, batch, o);
        },
        /*text_answers=*/true);
  };
}

}  // namespace setok::apps
