#include "common.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "setok/config/config.h"
#include "setok/config/runtime_config.h"
#include "setok/llm/generation.h"
#include "setok/runtime/logging.h"
#include "setok/runtime/threads.h"

namespace setok::apps {

int parse_command_line(CLI::App& app, const char* program, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return -1;
  } catch (const CLI::Success& e) {  // --help, --help-config
    return app.exit(e) == 0 ? 0 : 1;
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": error: " << e.what() << "\nRun with --help for more information."
              << std::endl;
    return 1;
  }
}

void add_common_flags(CLI::App& app, CommonFlags& flags) {
  app.fallthrough();
  app.add_option("--threads", flags.threads,
                 "CPU threads for tensor math (0 = all cores; default: runtime.threads of the "
                 "config, else all cores)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--log-level", flags.log_level,
                 "trace, debug, info, warn, error or off (default: log.level, else info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
}

void apply_common_flags(const CommonFlags& flags) {
  runtime::LogOptions log;
  if (!flags.log_level.empty()) log.level = flags.log_level;
  runtime::init_logging(log);
  runtime::set_num_threads(flags.threads < 0 ? 0 : flags.threads);
}

void add_config_flags(CLI::App& cmd, ConfigFlags& flags, const config::Section& defaults,
                      bool required) {
  auto* option = cmd.add_option(
      "--config", flags.config,
      required ? "run config (JSON)" : "run config (JSON; default: built-in defaults)");
  option->check(CLI::ExistingFile);
  if (required) option->required();
  cmd.add_option("--set", flags.sets, "override a config value: key.path=value (repeatable)");
  cmd.add_option("--device", flags.device, "cpu, cuda or cuda:N (overrides runtime.device)");
  const std::string help = config::help_text(defaults);
  cmd.add_flag_callback(
      "--help-config",
      [help] {
        std::cout << "config keys (path  type  default  meaning):\n" << help;
        throw CLI::Success();
      },
      "list every config key with its type, default and meaning, then exit");
}

c10::Device load_and_apply(config::Section& root, const ConfigFlags& flags,
                           const CommonFlags& common, config::RuntimeConfig& runtime,
                           config::LogConfig& log, const std::vector<std::string>& used) {
  std::vector<std::string> sets = flags.sets;
  if (!flags.device.empty()) sets.push_back("runtime.device=" + flags.device);
  if (common.threads >= 0) sets.push_back("runtime.threads=" + std::to_string(common.threads));
  if (!common.log_level.empty()) sets.push_back("log.level=" + common.log_level);
  if (!flags.config.empty()) {
    config::load(root, flags.config, sets);
  } else {
    for (const auto& s : sets) config::apply_override(root, s);
    config::validate(root);
  }
  config::check_files(root, used);
  log.apply();
  return runtime.apply();
}

void add_generation_flags(CLI::App& cmd, llm::GenerationOptions& g) {
  cmd.add_option("--max-new-tokens", g.max_new_tokens, "reply length limit")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  cmd.add_option("--temperature", g.sampling.temperature, "0 = greedy")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd.add_option("--top-k", g.sampling.top_k, "0 = off")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--top-p", g.sampling.top_p, "nucleus mass, 1 = off")
      ->check(CLI::Range(1e-6, 1.0))
      ->capture_default_str();
  cmd.add_option("--stop", g.stop, "stop string (repeatable)");
}

void add_training_flags(CLI::App& app, TrainingFlags& flags) {
  app.add_flag("--resume", flags.resume, "continue exactly from the run's latest checkpoint");
  app.add_flag("--eval-only", flags.eval_only,
               "evaluate the latest checkpoint (or the initial model) and exit");
  app.add_option(
         "--stop-after", flags.stop_after,
         "stop (with a checkpoint) after this many steps of this invocation; --resume continues")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace setok::apps
