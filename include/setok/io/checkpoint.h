#pragma once
// Checkpoint folders of a run: `<root>/step_<N>/` (whatever files the trainer writes: model,
// optimizer and trainer state), a `latest` pointer file naming the newest complete folder, and
// keep-last-K pruning.
//
// A save never damages what is already there: files are written into a hidden temporary
// folder, fsynced, and the folder is renamed into place; only then is `latest` replaced
// (atomically). A crash at any point leaves the previous `latest` and its folder intact;
// leftover temporary folders are removed the next time the root is opened.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace setok::io {

class CheckpointDir {
 public:
  // Creates `root` when needed. keep_last = 0 keeps every checkpoint.
  explicit CheckpointDir(std::filesystem::path root, int keep_last = 0);

  const std::filesystem::path& root() const { return root_; }

  // Calls `write(folder)` to fill a fresh temporary folder, then publishes it as step_<step>,
  // points `latest` at it and prunes. If `write` throws, nothing is published and the
  // exception propagates. Returns the published folder.
  std::filesystem::path save(int64_t step,
                             const std::function<void(const std::filesystem::path&)>& write);

  // The folder `latest` names. If the pointer is missing or names a folder that is gone, the
  // highest-numbered step folder (nullopt when there is none).
  std::optional<std::filesystem::path> latest() const;

  // Published checkpoints, ascending by step.
  std::vector<std::pair<int64_t, std::filesystem::path>> list() const;

  // Removes all but the newest keep_last folders (never the one `latest` names).
  void prune();

  // Step number of a folder named step_<N>, nullopt for other names.
  static std::optional<int64_t> parse_step(const std::filesystem::path& folder);

 private:
  std::filesystem::path root_;
  int keep_last_;
};

// Resolves what a user passes as --checkpoint / --resume: a step folder, a run's checkpoints
// root, or a run folder (with checkpoints/). Errors name the path.
std::filesystem::path resolve_checkpoint(const std::filesystem::path& path);

}  // namespace setok::io
