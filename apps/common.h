#pragma once
// Flags every app shares, and what they switch on.
#include <string>

namespace CLI {
class App;
}

namespace setok::apps {

struct CommonFlags {
  int threads = 0;  // 0 = all cores (ATen's default on Debian is 1)
  std::string log_level = "info";
};

// --threads N, --log-level L on `app` (accepted before or after the subcommand).
void add_common_flags(CLI::App& app, CommonFlags& flags);

// Sets ATen's thread count and configures logging.
void apply_common_flags(const CommonFlags& flags);

}  // namespace setok::apps
