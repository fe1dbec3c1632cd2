#pragma once
// `inspect` subcommand: flags only; the work is setok::infer::inspect.
#include <functional>

namespace CLI {
class App;
}

namespace setok::apps {

// Registers the subcommand on `app`; the returned function runs it after parsing.
std::function<int()> add_inspect_command(CLI::App& app);

}  // namespace setok::apps
