#include "plot.h"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "setok/train/curves.h"

namespace setok::apps {

std::function<int()> add_plot_command(CLI::App& app) {
  struct Flags {
    std::string run;
    std::string out;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "plot",
      "Draw a run's loss and metric curves (metrics.jsonl, eval.json) as one PNG: one panel "
      "per training metric, one per evaluation metric with every eval set as a line");
  cmd->add_option("run", flags->run, "run folder (train.run_dir)")->required();
  cmd->add_option("--out", flags->out, "PNG to write (default: RUN/curves.png)");
  return [flags] {
    std::cout << train::write_run_curves(flags->run, flags->out).string() << std::endl;
    return 0;
  };
}

}  // namespace setok::apps
