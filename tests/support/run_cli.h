#pragma once
// Runs a command line (stdout and stderr together) and returns its exit code and output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace setok::test {

struct CliRun {
  int code;
  std::string out;
};

inline CliRun run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace setok::test
