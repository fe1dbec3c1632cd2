#pragma once
// What the request-list subcommands of setok_infer share (vqa, caption, generate, edit,
// reconstruct): the flags, the run's own config, and the closing summary (docs/inference.md).
#include <cstdint>
#include <filesystem>
#include <string>

#include "common.h"
#include "setok/data/vqa_readers.h"
#include "setok/infer/request_runner.h"
#include "setok/infer/run_views.h"
#include "setok/mllm/setokim.h"

namespace setok::apps {

struct RequestFlags {
  ConfigFlags config;
  std::string list, checkpoint, out, image_root;
  int64_t batch = 8;
  int64_t seed = -1;  // -1: the config's runtime.seed
  bool strict = false;
};

// --config/--set/--device (the config defaulting to the run's), --list, --checkpoint, --out,
// --image-root, --batch, --seed, --strict on `cmd`.
void add_request_flags(CLI::App& cmd, RequestFlags& flags, const config::Section& defaults,
                       const char* checkpoint_help);

// The config to load: --config, else <run>/config.resolved.json of the run or step folder.
std::string request_config(const RequestFlags& flags);

// Where images are read from: --image-root, else the list's folder.
std::filesystem::path request_image_root(const RequestFlags& flags);

// The Setokim run a request command names (--checkpoint, its config), on the config's device.
mllm::Setokim load_setokim_for_requests(const RequestFlags& flags, const CommonFlags& common,
                                        infer::SetokimRunView& config);

// The answer style to pose vqa questions in: `flag` (--answer-style; empty = the run's own,
// infer::choose_answer_style over the run's training data), logged, with its warning if any.
data::AnswerStyle answer_style_for_run(const std::string& flag,
                                       const infer::SetokimRunView& config);

// Reads the list, runs `handle` over it, prints the summary (for `text_answers` tasks also how
// many answers came back empty); the exit code (1 when any failed).
int run_request_list(
    const RequestFlags& flags, const std::vector<std::string>& fields, const char* label,
    const std::function<std::vector<infer::RequestOutcome>(const std::vector<infer::Request>&)>&
        handle,
    bool text_answers = false);

}  // namespace setok::apps
