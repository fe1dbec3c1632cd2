#include "demo_eval.h"

#include <algorithm>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "requests.h"
#include "setok/infer/demo_eval.h"
#include "setok/io/json.h"

namespace setok::apps {

std::function<int()> add_demo_eval_command(CLI::App& app, const CommonFlags& common) {
  struct Flags {
    RequestFlags run;  // --checkpoint, --config (only these are used)
    infer::DemoEvalOptions eval;
    std::string data = "data/shapes", out, images;
    std::string answer_style;  // empty: the run's own
  };
  auto f = std::make_shared<Flags>();
  f->eval.generation.mar.num_iter = 16;
  CLI::App* cmd = app.add_subcommand(
      "demo-eval",
      "A Setokim run on the demo world's held-out scenes: VQA exact match per question type "
      "(each question alone, as setok_infer vqa asks it, and inside its conversation) beside "
      "the blind-model and majority baselines, caption token-F1, generated pictures' "
      "object count and colours, edits' PSNR and attribute (docs/inference.md); prints the JSON");
  add_config_flags(*cmd, f->run.config, infer::SetokimRunView{}, /*required=*/false);
  cmd->add_option("--checkpoint", f->run.checkpoint, "a Setokim run folder or step folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--data", f->data, "the world (setok_data shapes output)")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  cmd->add_option("--scenes", f->eval.scenes, "held-out scenes per task")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", f->eval.batch, "requests per batch")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--num-iter", f->eval.generation.mar.num_iter, "MAR steps per picture")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--cfg", f->eval.generation.mar.cfg, "guidance scale (1 = off)")
      ->capture_default_str();
  cmd->add_option("--temperature", f->eval.generation.mar.temperature,
                  "diffusion sampling temperature")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--tasks", f->eval.tasks, "the parts to run: vqa caption generation edit")
      ->check(CLI::IsMember({"vqa", "caption", "generation", "edit"}))
      ->capture_default_str();
  cmd->add_option("--answer-style", f->answer_style,
                  "how single questions are posed: short | plain (default: the run's own, as "
                  "setok_infer vqa chooses it)")
      ->check(CLI::IsMember({"short", "plain"}));
  cmd->add_option("--out", f->out, "also write the JSON here");
  cmd->add_option("--images", f->images, "write the generated and edited pictures here");
  return [f, &common]() -> int {
    infer::SetokimRunView cfg;
    mllm::Setokim setokim = load_setokim_for_requests(f->run, common, cfg);
    const llm::TextTokenizer text(cfg.model.llm.tokenizer_path());
    infer::DemoEvalOptions o = f->eval;
    o.data_dir = f->data;
    o.images_out = f->images;
    o.chat_template = llm::parse_chat_template(cfg.model.llm.chat_template);
    o.generation.chat_template = o.chat_template;
    o.preprocess = cfg.model.vision.preprocess();
    o.seed = static_cast<uint64_t>(cfg.runtime.seed);
    if (std::find(o.tasks.begin(), o.tasks.end(), "vqa") != o.tasks.end())
      o.answer_style = answer_style_for_run(f->answer_style, cfg);
    const io::Json result = infer::evaluate_demo(*setokim, text, o);
    if (!f->out.empty()) io::write_json(f->out, result);
    std::cout << result.dump(2) << "\n";
    return 0;
  };
}

}  // namespace setok::apps
