#pragma once
// `vqa` and `caption` subcommands of setok_infer: a trained Setokim run answers a JSONL request
// list (docs/inference.md).
#include <functional>

#include "common.h"
#include "requests.h"
#include "setok/mllm/setokim.h"
#include "setok/train/setokim_config.h"

namespace setok::apps {

// The Setokim run a request command names (--checkpoint, its config), on the config's device.
mllm::Setokim load_setokim_for_requests(const RequestFlags& flags, const CommonFlags& common,
                                        train::SetokimConfig& config);

// Adds both subcommands; the returned function runs whichever was given.
std::function<int()> add_answer_commands(CLI::App& app, const CommonFlags& common);

}  // namespace setok::apps
