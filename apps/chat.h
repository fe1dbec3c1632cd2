#pragma once
// `chat` subcommand of setok_infer: text-only chat with an HF LLaMA folder, streaming.
#include <functional>

#include "common.h"

namespace setok::apps {

std::function<int()> add_chat_command(CLI::App& app, const CommonFlags& common);

}  // namespace setok::apps
