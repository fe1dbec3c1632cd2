#include "answer.h"

#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "setok/infer/answer_requests.h"
#include "setok/io/checkpoint.h"
#include "setok/runtime/error.h"
#include "setok/train/setokim_build.h"

namespace setok::apps {

namespace fs = std::filesystem;

namespace {

struct AnswerFlags {
  ConfigFlags config;
  std::string list, checkpoint, out, image_root, answer_style = "short";
  int64_t batch = 8;
  int64_t seed = -1;  // -1: the config's runtime.seed
  bool strict = false;
  llm::GenerationOptions generation;
};

// The run's own config: <run>/config.resolved.json for a run folder or a step folder inside it.
std::string run_config(const fs::path& checkpoint) {
  const fs::path c = fs::absolute(checkpoint).lexically_normal();
  for (const fs::path& dir : {c, c.parent_path().parent_path()}) {
    if (fs::is_regular_file(dir / "config.resolved.json"))
      return (dir / "config.resolved.json").string();
  }
  throw Error("--checkpoint " + checkpoint.string() +
              ": no config.resolved.json in the run folder; give --config");
}

CLI::App* add_command(CLI::App& app, const char* name, const char* help, AnswerFlags& f) {
  CLI::App* cmd = app.add_subcommand(name, help);
  add_config_flags(*cmd, f.config, train::SetokimConfig{}, /*required=*/false);
  cmd->add_option("--list", f.list, "JSONL request list, one request per line")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--checkpoint", f.checkpoint,
                  "a Setokim run folder (stage 2 or 3; its latest checkpoint) or a step folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", f.out, "output folder (results.jsonl, errors.jsonl)")->required();
  cmd->add_option("--image-root", f.image_root,
                  "folder image paths are relative to (default: the list's folder)");
  cmd->add_option("--batch", f.batch, "requests per batch")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--seed", f.seed, "sampling seed (default: the config's runtime.seed)");
  cmd->add_flag("--strict", f.strict, "stop at the first bad line or failed request");
  add_generation_flags(*cmd, f.generation);
  return cmd;
}

}  // namespace

std::function<int()> add_answer_commands(CLI::App& app, const CommonFlags& common) {
  auto vqa = std::make_shared<AnswerFlags>();
  auto caption = std::make_shared<AnswerFlags>();
  vqa->generation.max_new_tokens = 32;
  caption->generation.max_new_tokens = 96;
  CLI::App* vqa_cmd = add_command(
      app, "vqa",
      "Answer questions about images: {\"id\", \"image\", \"question\"} per line -> "
      "OUT/results.jsonl {\"id\", \"answer\", \"image_tokens\"} (setok_eval reads it); bad lines "
      "and failed requests -> OUT/errors.jsonl; a re-run skips answered ids",
      *vqa);
  vqa_cmd
      ->add_option("--answer-style", vqa->answer_style,
                   "short: LLaVA's single word or phrase prompt after the question (as VQA data "
                   "trains); plain: the question alone")
      ->check(CLI::IsMember({"short", "plain"}))
      ->capture_default_str();
  add_command(app, "caption",
              "Caption images: {\"id\", \"image\"} per line -> OUT/results.jsonl {\"id\", "
              "\"caption\", \"image_tokens\"}; errors and re-runs as vqa",
              *caption);
  return [&app, vqa, caption, vqa_cmd, &common]() -> int {
    const bool is_vqa = app.got_subcommand(vqa_cmd);
    AnswerFlags& f = is_vqa ? *vqa : *caption;
    ConfigFlags config = f.config;
    if (config.config.empty()) config.config = run_config(f.checkpoint);
    train::SetokimConfig cfg;
    const c10::Device device = load_and_apply(cfg, config, common, cfg.runtime, cfg.log, {"model"});
    spdlog::info("loading {} (config {})", f.checkpoint, config.config);
    mllm::Setokim setokim = train::load_setokim_run(cfg, f.checkpoint);
    setokim->to(device);
    setokim->eval();
    const llm::TextTokenizer text(cfg.model.llm.tokenizer_path());
    infer::AnswerTaskOptions o;
    o.task = is_vqa ? infer::AnswerTask::kVqa : infer::AnswerTask::kCaption;
    o.image_root = f.image_root.empty() ? fs::path(f.list).parent_path() : fs::path(f.image_root);
    o.preprocess = cfg.model.vision.preprocess();
    o.answer_style = data::parse_answer_style(f.answer_style);
    o.answer.chat_template = llm::parse_chat_template(cfg.model.llm.chat_template);
    o.answer.generation = f.generation;
    o.answer.generation.seed =
        static_cast<uint64_t>(f.seed >= 0 ? f.seed : static_cast<int64_t>(cfg.runtime.seed));
    const infer::RequestList list =
        infer::read_request_list(f.list, infer::answer_task_fields(o.task));
    infer::RunnerOptions ro;
    ro.out_dir = f.out;
    ro.batch_size = f.batch;
    ro.strict = f.strict;
    ro.label = is_vqa ? "vqa" : "caption";
    const infer::RunnerSummary s =
        infer::run_requests(list, ro, [&](const std::vector<infer::Request>& batch) {
          return infer::answer_requests(*setokim, text, batch, o);
        });
    std::cout << s.answered << " answered, " << s.failed << " failed, " << s.already
              << " already answered -> " << (fs::path(f.out) / "results.jsonl").string()
              << (s.failed > 0 ? " (errors: " + (fs::path(f.out) / "errors.jsonl").string() + ")"
                               : "")
              << "\n";
    return s.failed > 0 ? 1 : 0;
  };
}

}  // namespace setok::apps
