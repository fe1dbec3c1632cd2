#pragma once
// `generate`, `edit` and `reconstruct` subcommands of setok_infer: images from a JSONL request
// list (docs/inference.md).
#include <functional>

#include "common.h"

namespace setok::apps {

// Adds the three subcommands; the returned function runs whichever was given.
std::function<int()> add_image_commands(CLI::App& app, const CommonFlags& common);

}  // namespace setok::apps
