#pragma once
// `vqa` and `caption` subcommands of setok_infer: a trained Setokim run answers a JSONL request
// list (docs/inference.md).
#include <functional>

#include "common.h"

namespace setok::apps {

// Adds both subcommands; the returned function runs whichever was given.
std::function<int()> add_answer_commands(CLI::App& app, const CommonFlags& common);

}  // namespace setok::apps
