#pragma once
// The parity harness: every fixture folder (tests/fixtures/* and whatever $SETOK_EXTRA_FIXTURES
// names) is checked by the checker registered for its kind, plus the safetensors checker that
// every folder gets. One line per folder and check:
//   parity <folder> <kind>: OK [(detail)] | FAIL (<what>) | SKIP (no checker)
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <c10/core/Device.h>

namespace setok::parity {

namespace fs = std::filesystem;

// Thrown by checkers (and the compare helpers) to report a mismatch.
class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& what) : std::runtime_error(what) {}
};

// Checks one folder; returns a short detail for the OK line ("3 cases") or throws (any
// exception is a FAIL carrying its message).
using Checker = std::function<std::string(const fs::path& folder)>;

class Registry {
 public:
  static Registry& instance();
  void add(const std::string& kind, Checker checker);
  const Checker* find(const std::string& kind) const;

 private:
  std::map<std::string, Checker> checkers_;
};

// Static registration: `static const Registrar r("siglip", check_siglip);`
struct Registrar {
  Registrar(const std::string& kind, Checker checker);
};

enum class Status { kOk, kFail, kSkip };

struct Line {
  std::string folder;  // folder name
  std::string kind;
  Status status = Status::kOk;
  std::string detail;
  std::string text() const;
};

// Where the checkers run the models: $SETOK_PARITY_DEVICE (cpu, cuda, cuda:N; default cpu), so
// scripts/gpu_check.sh checks the CUDA kernels against the same references. On CUDA, TF32 is
// turned off: the tolerances are float32's.
c10::Device parity_device();

// The kind of a fixture folder: fixture.json "kind", else config.json "model_type"; "" when
// the folder has neither file (not a fixture folder). Malformed files throw.
std::string fixture_kind(const fs::path& folder);

// config.json's model_type, "" when the folder has no config.json or it names none.
std::string config_model_type(const fs::path& folder);

// Fixture folders: the sub-folders of `builtin`, then for each entry of `extra` (a
// ':'-separated list, e.g. $SETOK_EXTRA_FIXTURES) the entry itself if it is a fixture folder,
// else every fixture folder below it. Sorted within each source.
std::vector<fs::path> fixture_folders(const fs::path& builtin, const std::string& extra);

// The safetensors line, then the kind line, for one folder. The kind line is SKIP only when no
// checker is registered for the folder's kind; a folder whose fixture.json kind and config.json
// model_type disagree while one of them has a checker FAILs.
std::vector<Line> check_folder(const fs::path& folder);

// check_folder over all folders, writing each line to `out` as it is produced.
std::vector<Line> check_all(const std::vector<fs::path>& folders, std::ostream& out);

}  // namespace setok::parity
