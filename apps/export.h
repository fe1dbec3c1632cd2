#pragma once
// `export` subcommand: flags only; the work is setok::train::export_setokim.
#include <functional>

namespace CLI {
class App;
}

namespace setok::apps {

struct CommonFlags;

// Registers the subcommand on `app`; the returned function runs it after parsing.
std::function<int()> add_export_command(CLI::App& app, CommonFlags& common);

}  // namespace setok::apps
