#pragma once
// `tokenize` subcommand of setok_infer.
#include <functional>

#include "common.h"

namespace setok::apps {

std::function<int()> add_tokenize_command(CLI::App& app, const CommonFlags& common);

}  // namespace setok::apps
