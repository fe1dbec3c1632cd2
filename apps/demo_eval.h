#pragma once
// `demo-eval` subcommand of setok_infer: a Setokim run on the demo world's held-out scenes.
#include <functional>

#include "common.h"

namespace setok::apps {

std::function<int()> add_demo_eval_command(CLI::App& app, const CommonFlags& common);

}  // namespace setok::apps
