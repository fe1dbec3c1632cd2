#pragma once
// `plot` subcommand: flags only; the work is setok::train::write_run_curves.
#include <functional>

namespace CLI {
class App;
}

namespace setok::apps {

// Registers the subcommand on `app`; the returned function runs it after parsing.
std::function<int()> add_plot_command(CLI::App& app);

}  // namespace setok::apps
