#include "tokenize.h"

#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "setok/infer/run_views.h"
#include "setok/infer/tokenize.h"
#include "setok/runtime/error.h"
#include "setok/tokenizer/setok_tokenizer.h"

namespace setok::apps {

std::function<int()> add_tokenize_command(CLI::App& app, const CommonFlags& common) {
  struct Flags {
    ConfigFlags config;
    std::string checkpoint;
    std::vector<std::string> images;
    std::string list;
    std::string image_root;
    std::string out;
    int64_t batch = 8;
    bool strict = false;
    bool no_overlays = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize",
      "Tokenize images with SeTok: one JSONL record per image (token count, cluster sizes, "
      "centres) and a PNG of its cluster map (coloured regions, centres marked)");
  add_config_flags(*cmd, f->config, infer::SetokRunView{}, /*required=*/true);
  cmd->add_option("--checkpoint", f->checkpoint,
                  "tokenizer weights: .safetensors, step folder or run folder (default: the "
                  "config's weights: pretrained tower, untrained merger)");
  auto* images = cmd->add_option("--images", f->images, "image files")->check(CLI::ExistingFile);
  auto* list = cmd->add_option("--list", f->list, "JSONL list of {\"image\": path} records")
                   ->check(CLI::ExistingFile);
  images->excludes(list);
  cmd->add_option("--image-root", f->image_root,
                  "folder for relative paths in --list (default: the list's folder)");
  cmd->add_option("--out", f->out, "output folder")->required();
  cmd->add_option("--batch", f->batch, "images per batch")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_flag("--no-overlays", f->no_overlays, "skip the PNG cluster maps");
  cmd->add_flag("--strict", f->strict, "stop at the first bad line or unreadable image");
  return [f, &common] {
    if (f->images.empty() && f->list.empty()) throw Error("tokenize: give --images or --list");
    infer::SetokRunView cfg;
    const c10::Device device = load_and_apply(cfg, f->config, common, cfg.runtime, cfg.log,
                                              {"model.vision", "model.tokenizer"});
    tokenizer::SetokTokenizer tok(cfg.model.vision, cfg.model.tokenizer);
    if (!f->checkpoint.empty()) tokenizer::load_tokenizer_weights(*tok, f->checkpoint);
    tok->to(device);
    tok->eval();
    const std::filesystem::path list_file = f->list;
    const infer::RequestList list =
        f->list.empty() ? infer::image_file_requests({f->images.begin(), f->images.end()})
                        : infer::read_request_list(list_file, {"image"}, "image");
    infer::TokenizeOptions options;
    options.out_dir = f->out;
    options.image_root =
        f->image_root.empty() ? list_file.parent_path() : std::filesystem::path(f->image_root);
    options.overlays = !f->no_overlays;
    infer::RunnerOptions ro;
    ro.out_dir = f->out;
    ro.results_file = "tokens.jsonl";
    ro.batch_size = f->batch;
    ro.strict = f->strict;
    ro.label = "tokenize";
    int64_t images = 0, tokens = 0;
    const infer::RunnerSummary s =
        infer::run_requests(list, ro, [&](const std::vector<infer::Request>& batch) {
          auto out =
              infer::tokenize_requests(*tok, cfg.model.vision.preprocess(), batch, device, options);
          for (const auto& o : out) {
            if (!o.error.empty()) continue;
            ++images;
            tokens += o.result["num_tokens"].get<int64_t>();
          }
          return out;
        });
    spdlog::info(
        "tokenized {} images ({:.2f} tokens per image), {} failed, {} already done; "
        "records in {}{}",
        images, images > 0 ? static_cast<double>(tokens) / images : 0.0, s.failed, s.already,
        (options.out_dir / "tokens.jsonl").string(),
        options.overlays ? ", cluster maps in " + (options.out_dir / "overlays").string() : "");
    return s.failed > 0 ? 1 : 0;
  };
}

}  // namespace setok::apps
