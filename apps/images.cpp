#include "images.h"

#include <memory>

#include <CLI/CLI.hpp>

#include "requests.h"
#include "setok/detokenizer/setok_detokenizer.h"
#include "setok/infer/image_requests.h"
#include "setok/infer/run_views.h"
#include "setok/tokenizer/setok_tokenizer.h"

namespace setok::apps {

namespace {

struct ImageFlags {
  RequestFlags requests;
  infer::ImageGenerationOptions generation;
};

void add_generation_options(CLI::App& cmd, infer::ImageGenerationOptions& g) {
  cmd.add_option("--num-tokens", g.num_tokens, "image tokens to draw (0 = the model's count)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--max-tokens", g.max_tokens, "image tokens at most (the model's count is capped)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--max-text-tokens", g.max_text_tokens,
                 "text the model may write before <im_start> (0 = the image starts at once)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--num-iter", g.mar.num_iter, "MAR steps that fill the image's slots")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--cfg", g.mar.cfg, "classifier-free guidance scale (1 = off)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd.add_option("--cfg-schedule", g.mar.cfg_schedule, "linear or constant")
      ->check(CLI::IsMember({"linear", "constant"}))
      ->capture_default_str();
  cmd.add_option("--temperature", g.mar.temperature, "diffusion sampling temperature")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
}

}  // namespace

std::function<int()> add_image_commands(CLI::App& app, const CommonFlags& common) {
  auto gen = std::make_shared<ImageFlags>();
  auto edit = std::make_shared<ImageFlags>();
  auto recon = std::make_shared<ImageFlags>();
  gen->generation.mar.num_iter = 16;
  edit->generation.mar.num_iter = 16;
  CLI::App* gen_cmd = app.add_subcommand(
      "generate",
      "Draw images: {\"id\", \"prompt\"} per line -> OUT/<id>.png and OUT/results.jsonl "
      "{\"id\", \"image\", \"tokens\"}; bad lines and failed requests -> OUT/errors.jsonl; a "
      "re-run skips answered ids");
  CLI::App* edit_cmd = app.add_subcommand(
      "edit",
      "Edit images: {\"id\", \"image\", \"instruction\"} per line -> OUT/<id>.png and "
      "OUT/results.jsonl {\"id\", \"image\", \"tokens\"}; errors and re-runs as generate");
  CLI::App* recon_cmd = app.add_subcommand(
      "reconstruct",
      "SeTok round trip with a stage-1 run: {\"id\", \"image\"} per line -> the image's tokens "
      "rendered by the detokenizer, OUT/<id>.png and OUT/results.jsonl {\"id\", \"image\", "
      "\"tokens\"}");
  constexpr const char* kSetokim =
      "a Setokim run folder (stage 2 or 3; its latest checkpoint) or a step folder";
  for (auto [cmd, f] : {std::pair{gen_cmd, gen.get()}, std::pair{edit_cmd, edit.get()}}) {
    add_request_flags(*cmd, f->requests, infer::SetokimRunView{}, kSetokim);
    add_generation_options(*cmd, f->generation);
  }
  add_request_flags(*recon_cmd, recon->requests, infer::SetokRunView{},
                    "a stage-1 run folder (setok_train; its latest checkpoint) or a step folder");
  return [&app, gen, edit, recon, gen_cmd, edit_cmd, &common]() -> int {
    infer::ImageTaskOptions o;
    if (!app.got_subcommand(gen_cmd) && !app.got_subcommand(edit_cmd)) {
      infer::SetokRunView cfg;
      ConfigFlags config = recon->requests.config;
      config.config = request_config(recon->requests);
      const c10::Device device =
          load_and_apply(cfg, config, common, cfg.runtime, cfg.log, {"model"});
      tokenizer::SetokTokenizer tok(cfg.model.vision, cfg.model.tokenizer);
      tokenizer::load_tokenizer_weights(*tok, recon->requests.checkpoint);
      detokenizer::SetokDetokenizer detok(cfg.model.detokenizer, tok->token_dim());
      detokenizer::load_detokenizer_weights(*detok, recon->requests.checkpoint);
      tok->to(device);
      detok->to(device);
      o.task = infer::ImageTask::kReconstruct;
      o.image_root = request_image_root(recon->requests);
      o.out_dir = recon->requests.out;
      o.preprocess = cfg.model.vision.preprocess();
      o.seed = static_cast<uint64_t>(recon->requests.seed >= 0 ? recon->requests.seed
                                                               : cfg.runtime.seed);
      return run_request_list(recon->requests, infer::image_task_fields(o.task), "reconstruct",
                              [&](const std::vector<infer::Request>& batch) {
                                return infer::reconstruct_requests(*tok, *detok, batch, o);
                              });
    }
    const bool is_edit = app.got_subcommand(edit_cmd);
    const ImageFlags& f = is_edit ? *edit : *gen;
    infer::SetokimRunView cfg;
    mllm::Setokim setokim = load_setokim_for_requests(f.requests, common, cfg);
    const llm::TextTokenizer text(cfg.model.llm.tokenizer_path());
    o.task = is_edit ? infer::ImageTask::kEdit : infer::ImageTask::kGenerate;
    o.image_root = request_image_root(f.requests);
    o.out_dir = f.requests.out;
    o.preprocess = cfg.model.vision.preprocess();
    o.generation = f.generation;
    o.generation.chat_template = llm::parse_chat_template(cfg.model.llm.chat_template);
    o.seed = static_cast<uint64_t>(f.requests.seed >= 0 ? f.requests.seed : cfg.runtime.seed);
    return run_request_list(f.requests, infer::image_task_fields(o.task),
                            is_edit ? "edit" : "generate",
                            [&](const std::vector<infer::Request>& batch) {
                              return infer::image_requests(*setokim, text, batch, o);
                            });
  };
}

}  // namespace setok::apps
