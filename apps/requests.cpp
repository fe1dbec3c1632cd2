#include "requests.h"

#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "setok/infer/answer_requests.h"
#include "setok/runtime/error.h"

namespace setok::apps {

namespace fs = std::filesystem;

void add_request_flags(CLI::App& cmd, RequestFlags& f, const config::Section& defaults,
                       const char* checkpoint_help) {
  add_config_flags(cmd, f.config, defaults, /*required=*/false);
  cmd.add_option("--list", f.list, "JSONL request list, one request per line")
      ->required()
      ->check(CLI::ExistingFile);
  cmd.add_option("--checkpoint", f.checkpoint, checkpoint_help)
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--out", f.out, "output folder (results.jsonl, errors.jsonl, images)")->required();
  cmd.add_option("--image-root", f.image_root,
                 "folder image paths are relative to (default: the list's folder)");
  cmd.add_option("--batch", f.batch, "requests per batch")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd.add_option("--seed", f.seed, "sampling seed (default: the config's runtime.seed)");
  cmd.add_flag("--strict", f.strict, "stop at the first bad line or failed request");
}

std::string request_config(const RequestFlags& f) {
  if (!f.config.config.empty()) return f.config.config;
  const fs::path c = fs::absolute(f.checkpoint).lexically_normal();
  for (const fs::path& dir : {c, c.parent_path().parent_path()}) {
    if (fs::is_regular_file(dir / "config.resolved.json"))
      return (dir / "config.resolved.json").string();
  }
  throw Error("--checkpoint " + f.checkpoint +
              ": no config.resolved.json in the run folder; give --config");
}

fs::path request_image_root(const RequestFlags& f) {
  return f.image_root.empty() ? fs::path(f.list).parent_path() : fs::path(f.image_root);
}

mllm::Setokim load_setokim_for_requests(const RequestFlags& f, const CommonFlags& common,
                                        infer::SetokimRunView& cfg) {
  ConfigFlags config = f.config;
  config.config = request_config(f);
  const c10::Device device = load_and_apply(cfg, config, common, cfg.runtime, cfg.log, {"model"});
  spdlog::info("loading {} (config {})", f.checkpoint, config.config);
  mllm::Setokim setokim = mllm::load_setokim_run(cfg.model, cfg.start(), f.checkpoint);
  setokim->to(device);
  setokim->eval();
  return setokim;
}

data::AnswerStyle answer_style_for_run(const std::string& flag, const infer::SetokimRunView& cfg) {
  std::optional<data::AnswerStyle> asked;
  if (!flag.empty()) asked = data::parse_answer_style(flag);
  const infer::AnswerStyleChoice style =
      infer::choose_answer_style(asked, cfg.trained_answer_styles());
  if (!style.warning.empty()) spdlog::warn("{}", style.warning);
  spdlog::info("answer style: {}", data::answer_style_name(style.style));
  return style.style;
}

int run_request_list(
    const RequestFlags& f, const std::vector<std::string>& fields, const char* label,
    const std::function<std::vector<infer::RequestOutcome>(const std::vector<infer::Request>&)>&
        handle,
    bool text_answers) {
  const infer::RequestList list = infer::read_request_list(f.list, fields);
  infer::RunnerOptions ro;
  ro.out_dir = f.out;
  ro.batch_size = f.batch;
  ro.strict = f.strict;
  ro.label = label;
  const infer::RunnerSummary s = infer::run_requests(list, ro, handle);
  if (text_answers && s.empty > 0)
    spdlog::warn("{} of the {} answers are empty (written to results.jsonl as \"\")", s.empty,
                 s.answered);
  std::cout << s.answered << " answered, " << s.failed << " failed, " << s.already
            << " already answered"
            << (text_answers ? ", " + std::to_string(s.empty) + " empty answers" : "") << " -> "
            << (fs::path(f.out) / "results.jsonl").string()
            << (s.failed > 0 ? " (errors: " + (fs::path(f.out) / "errors.jsonl").string() + ")"
                             : "")
            << "\n";
  return s.failed > 0 ? 1 : 0;
}

}  // namespace setok::apps
