#include "setok/runtime/logging.h"

#include <memory>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "setok/runtime/error.h"

namespace setok::runtime {

std::string rank_prefix(int rank, int world_size) {
  if (world_size <= 1) return "";
  return "[rank " + std::to_string(rank) + "/" + std::to_string(world_size) + "] ";
}

void init_logging(const LogOptions& options) {
  const auto level = spdlog::level::from_str(options.level);
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (level == spdlog::level::off && options.level != "off") {
    throw Error("unknown log level '" + options.level +
                "': expected trace, debug, info, warn, error or off");
  }
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!options.file.empty()) {
    try {
      sinks.push_back(
          std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file.string(), false));
    } catch (const spdlog::spdlog_ex& e) {
      throw Error("cannot open log file " + options.file.string() + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("setok", sinks.begin(), sinks.end());
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] " + rank_prefix(options.rank, options.world_size) +
                      "[%^%l%$] %v");
  const bool quiet_rank = options.rank != 0 && !options.all_ranks;
  logger->set_level(quiet_rank ? std::max(level, spdlog::level::warn) : level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace setok::runtime
