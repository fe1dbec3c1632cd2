#include "inspect.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "setok/infer/inspect.h"

namespace setok::apps {

std::function<int()> add_inspect_command(CLI::App& app) {
  struct Flags {
    std::string path;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "List the tensors (name, dtype, shape) and parameter count of a .safetensors file, a "
      "sharded index, an HF model folder or a checkpoint folder (step_N, checkpoints/ or run "
      "folder: follows 'latest')");
  cmd->add_option("path", flags->path, "file or folder")->required();
  cmd->add_flag("--json", flags->json, "machine-readable JSON on stdout");
  return [flags] {
    const auto result = infer::inspect(flags->path);
    if (flags->json) {
      std::cout << infer::inspect_json(result).dump(2) << std::endl;
    } else {
      std::cout << infer::format_inspect(result);
    }
    return 0;
  };
}

}  // namespace setok::apps
