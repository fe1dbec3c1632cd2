#include "common.h"

#include <CLI/CLI.hpp>

#include "setok/runtime/logging.h"
#include "setok/runtime/threads.h"

namespace setok::apps {

void add_common_flags(CLI::App& app, CommonFlags& flags) {
  app.fallthrough();
  app.add_option("--threads", flags.threads, "CPU threads for tensor math (0 = all cores)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

void apply_common_flags(const CommonFlags& flags) {
  runtime::LogOptions log;
  log.level = flags.log_level;
  runtime::init_logging(log);
  runtime::set_num_threads(flags.threads);
}

}  // namespace setok::apps
