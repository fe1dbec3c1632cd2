#include "export.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/train/setokim_config.h"
#include "setok/train/setokim_export.h"

namespace setok::apps {

std::function<int()> add_export_command(CLI::App& app, CommonFlags& common) {
  struct Flags {
    ConfigFlags config;
    std::string checkpoint, out;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Export a Setokim run (stage 2 or 3): OUT/llm (HF LLaMA folder, LoRA merged), OUT/adapter "
      "(PEFT layout) and OUT/mm_projector.safetensors (projectors, special-token rows, diffusion "
      "head; train.init_from accepts it)");
  add_config_flags(*cmd, f->config, train::SetokimConfig{}, /*required=*/true);
  cmd->add_option("--checkpoint", f->checkpoint, "run or step folder (default: train.run_dir)");
  cmd->add_option("--out", f->out, "output folder")->required();
  return [f, &common] {
    train::SetokimConfig cfg;
    load_and_apply(cfg, f->config, common, cfg.runtime, cfg.log, {"model"});
    const auto e = train::export_setokim(
        cfg, f->checkpoint.empty() ? cfg.train.run_dir : f->checkpoint, f->out);
    std::cout << "llm: " << e.llm.string() << "\n";
    if (!e.adapter.empty()) std::cout << "adapter: " << e.adapter.string() << "\n";
    std::cout << "projectors and head: " << e.projectors.string() << "\n";
    return 0;
  };
}

}  // namespace setok::apps
