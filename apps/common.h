#pragma once
// Flags every app shares, and the config flags of commands that read a run config.
#include <string>
#include <vector>

#include "setok/config/schema.h"

namespace CLI {
class App;
}

namespace setok::llm {
struct GenerationOptions;
}

namespace setok::config {
struct RuntimeConfig;
struct LogConfig;
}  // namespace setok::config

namespace setok::apps {

struct CommonFlags {
  int threads = -1;       // -1 = not given (the config's runtime.threads, else all cores)
  std::string log_level;  // empty = not given
};

// Parses the command line of `program`. Returns -1 when the app should run; otherwise the exit
// code: 0 after --help / --help-config (printed to stdout), 1 after a usage error (one line
// "<program>: error: ..." and a --help hint on stderr) — never CLI11's own codes, so every app
// keeps README's promise of exit code 1 on any error.
int parse_command_line(CLI::App& app, const char* program, int argc, char** argv);

// --threads N, --log-level L on `app` (accepted before or after the subcommand).
void add_common_flags(CLI::App& app, CommonFlags& flags);

// For commands without a config: threads (default all cores) and logging.
void apply_common_flags(const CommonFlags& flags);

struct ConfigFlags {
  std::string config;
  std::vector<std::string> sets;
  std::string device;  // shortcut for --set runtime.device=...
};

// --config FILE, --set key=value (repeatable), --device D, --help-config on `cmd`.
void add_config_flags(CLI::App& cmd, ConfigFlags& flags, const config::Section& defaults,
                      bool required);

// --max-new-tokens, --temperature, --top-k, --top-p, --stop on `cmd` (defaults: `options`'s).
void add_generation_flags(CLI::App& cmd, llm::GenerationOptions& options);

// The flags of the training apps (setok_train, setok_pretrain, setok_finetune).
struct TrainingFlags {
  bool resume = false;
  bool eval_only = false;
  int64_t stop_after = 0;
};

// --resume, --eval-only, --stop-after N on `app`.
void add_training_flags(CLI::App& app, TrainingFlags& flags);

// Loads `root` from the flags (without --config: defaults plus the overrides) and checks the
// files named by the sections in `used` (dotted paths; empty = every section); the
// command-line --threads / --log-level win over the config. Applies the runtime (seed, threads,
// logging) and returns the device.
c10::Device load_and_apply(config::Section& root, const ConfigFlags& flags,
                           const CommonFlags& common, config::RuntimeConfig& runtime,
                           config::LogConfig& log, const std::vector<std::string>& used = {});

}  // namespace setok::apps
