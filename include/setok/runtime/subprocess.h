#pragma once
// Running an external program (e.g. SentencePiece's spm_train) and collecting its output.
#include <string>
#include <vector>

namespace setok::runtime {

struct ProcessResult {
  int exit_code = -1;  // -1 when it could not start or died from a signal
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (searched in PATH) with the given arguments; waits for it.
ProcessResult run_process(const std::vector<std::string>& argv);

}  // namespace setok::runtime
