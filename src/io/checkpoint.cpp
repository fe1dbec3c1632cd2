#include "setok/io/checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "setok/io/fs.h"
#include "setok/runtime/error.h"

namespace setok::io {

namespace fs = std::filesystem;

namespace {
constexpr const char* kLatest = "latest";
constexpr const char* kTmpPrefix = ".tmp-";
constexpr const char* kOldPrefix = ".old-";

std::string step_name(int64_t step) {
  return "step_" + std::to_string(step);
}

void fsync_tree(const fs::path& folder) {
  for (const auto& item : fs::recursive_directory_iterator(folder)) {
    if (item.is_regular_file() || item.is_directory()) fsync_path(item.path());
  }
  fsync_path(folder);
}
}  // namespace

std::optional<int64_t> CheckpointDir::parse_step(const fs::path& folder) {
  const std::string name = folder.filename().string();
  if (name.rfind("step_", 0) != 0 || name.size() == 5 || name.size() > 5 + 18) return std::nullopt;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
  }
  return std::stoll(name.substr(5));
}

CheckpointDir::CheckpointDir(fs::path root, int keep_last)
    : root_(std::move(root)), keep_last_(keep_last) {
  if (keep_last_ < 0) throw Error("keep_last must be >= 0, got " + std::to_string(keep_last_));
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec || !fs::is_directory(root_)) {
    throw Error(root_.string() + ": cannot create checkpoint folder: " + ec.message());
  }
  // Leftovers of saves that crashed before their rename: never published, safe to drop.
  for (const auto& item : fs::directory_iterator(root_)) {
    const auto name = item.path().filename().string();
    if (name.rfind(kTmpPrefix, 0) == 0 || name.rfind(kOldPrefix, 0) == 0) {
      fs::remove_all(item.path(), ec);
    }
  }
}

namespace {
// Read-only views of a checkpoints root (no creation, no cleanup), shared by CheckpointDir and
// resolve_checkpoint.
std::vector<std::pair<int64_t, fs::path>> list_steps(const fs::path& root) {
  std::vector<std::pair<int64_t, fs::path>> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& item : fs::directory_iterator(root)) {
    if (!item.is_directory()) continue;
    if (auto step = CheckpointDir::parse_step(item.path())) out.emplace_back(*step, item.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<fs::path> latest_in(const fs::path& root) {
  const fs::path pointer = root / kLatest;
  std::error_code ec;
  if (fs::is_regular_file(pointer, ec)) {
    std::string name = read_file(pointer);
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    const fs::path folder = root / name;
    if (CheckpointDir::parse_step(name) && fs::is_directory(folder, ec)) return folder;
  }
  const auto all = list_steps(root);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}
}  // namespace

std::vector<std::pair<int64_t, fs::path>> CheckpointDir::list() const {
  return list_steps(root_);
}

std::optional<fs::path> CheckpointDir::latest() const {
  return latest_in(root_);
}

fs::path CheckpointDir::save(int64_t step, const std::function<void(const fs::path&)>& write) {
  if (step < 0) throw Error("checkpoint step must be >= 0, got " + std::to_string(step));
  const fs::path tmp =
      root_ / (std::string(kTmpPrefix) + step_name(step) + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  try {
    write(tmp);
    fsync_tree(tmp);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  const fs::path final_dir = root_ / step_name(step);
  if (fs::exists(final_dir)) {
    // Re-saving a step (e.g. after a resume): move the old copy aside first so that the
    // rename below cannot fail on a non-empty target.
    const fs::path old = root_ / (std::string(kOldPrefix) + step_name(step));
    fs::remove_all(old, ec);
    fs::rename(final_dir, old);
    fs::rename(tmp, final_dir);
    fs::remove_all(old, ec);
  } else {
    fs::rename(tmp, final_dir);
  }
  fsync_path(root_);
  write_file_atomic(root_ / kLatest, step_name(step) + "\n");
  prune();
  return final_dir;
}

void CheckpointDir::prune() {
  if (keep_last_ == 0) return;
  const auto all = list();
  if (all.size() <= static_cast<size_t>(keep_last_)) return;
  const auto keep_latest = latest();
  std::error_code ec;
  for (size_t i = 0; i + keep_last_ < all.size(); ++i) {
    if (keep_latest && fs::equivalent(*keep_latest, all[i].second, ec)) continue;
    fs::remove_all(all[i].second, ec);
    if (ec) throw Error(all[i].second.string() + ": cannot remove old checkpoint: " + ec.message());
  }
}

fs::path resolve_checkpoint(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    throw Error(path.string() +
                ": checkpoint not found (expected a step_N folder, a "
                "checkpoints folder or a run folder)");
  }
  if (CheckpointDir::parse_step(path)) return path;
  for (const fs::path& root : {path, path / "checkpoints"}) {
    if (auto latest = latest_in(root)) return *latest;
  }
  throw Error(path.string() + ": holds no checkpoint (no step_N folder and no 'latest' pointer)");
}

}  // namespace setok::io
