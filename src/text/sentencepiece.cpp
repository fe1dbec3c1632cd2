#include "setok/text/sentencepiece.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "setok/runtime/error.h"
#include "setok/runtime/subprocess.h"

namespace setok::text {

namespace fs = std::filesystem;

namespace {

// The SentencePiece plugin (src/text/spm_plugin.cpp), loaded once.
struct Plugin {
  void* (*load)(const char*, char*, size_t) = nullptr;
  void (*free)(void*) = nullptr;
  int (*encode)(void*, const char*, int*, int, char*, size_t) = nullptr;
  int (*decode)(void*, const int*, int, char*, int, char*, size_t) = nullptr;
  int (*info)(void*, int) = nullptr;
  int (*piece_to_id)(void*, const char*) = nullptr;
  int (*id_to_piece)(void*, int, char*, int) = nullptr;
};

std::vector<fs::path> plugin_candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("SETOK_SPM_PLUGIN")) out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / "libsetok_spm.so");
    out.push_back(exe.parent_path().parent_path() / "src" / "libsetok_spm.so");
    out.push_back(exe.parent_path().parent_path() / "lib" / "libsetok_spm.so");
  }
#ifdef SETOK_SPM_PLUGIN_PATH
  out.emplace_back(SETOK_SPM_PLUGIN_PATH);
#endif
  return out;
}

const Plugin& plugin() {
  static std::once_flag once;
  static Plugin p;
  static std::string failure;
  std::call_once(once, [] {
    void* handle = nullptr;
    std::string tried;
    for (const auto& candidate : plugin_candidates()) {
      tried += (tried.empty() ? "" : ", ") + candidate.string();
      if (!fs::exists(candidate)) continue;
      handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (handle != nullptr) break;
      failure = std::string("cannot load ") + candidate.string() + ": " + dlerror();
    }
    if (handle == nullptr) {
      if (failure.empty())
        failure = "SentencePiece plugin libsetok_spm.so not found (tried " + tried + ")";
      return;
    }
    auto sym = [&](const char* name) {
      void* f = dlsym(handle, name);
      if (f == nullptr) failure = std::string("SentencePiece plugin lacks ") + name;
      return f;
    };
    p.load = reinterpret_cast<decltype(p.load)>(sym("setok_spm_load"));
    p.free = reinterpret_cast<decltype(p.free)>(sym("setok_spm_free"));
    p.encode = reinterpret_cast<decltype(p.encode)>(sym("setok_spm_encode"));
    p.decode = reinterpret_cast<decltype(p.decode)>(sym("setok_spm_decode"));
    p.info = reinterpret_cast<decltype(p.info)>(sym("setok_spm_info"));
    p.piece_to_id = reinterpret_cast<decltype(p.piece_to_id)>(sym("setok_spm_piece_to_id"));
    p.id_to_piece = reinterpret_cast<decltype(p.id_to_piece)>(sym("setok_spm_id_to_piece"));
  });
  if (!failure.empty()) throw Error(failure + " (set SETOK_SPM_PLUGIN to its path)");
  return p;
}

constexpr size_t kErr = 512;

}  // namespace

struct SentencePiece::Handle {
  void* ptr = nullptr;
  ~Handle() {
    if (ptr != nullptr) plugin().free(ptr);
  }
};

SentencePiece::SentencePiece(const fs::path& model)
    : path_(model), handle_(std::make_unique<Handle>()) {
  if (!fs::is_regular_file(model)) throw Error(model.string() + ": no such SentencePiece model");
  char err[kErr] = {0};
  handle_->ptr = plugin().load(model.c_str(), err, kErr);
  if (handle_->ptr == nullptr) {
    throw Error(model.string() + ": not a SentencePiece model (" + err + ")");
  }
}

SentencePiece::~SentencePiece() = default;
SentencePiece::SentencePiece(SentencePiece&&) noexcept = default;
SentencePiece& SentencePiece::operator=(SentencePiece&&) noexcept = default;

std::vector<int64_t> SentencePiece::encode(const std::string& text) const {
  char err[kErr] = {0};
  std::vector<int> ids(text.size() + 8);
  int n = plugin().encode(handle_->ptr, text.c_str(), ids.data(), static_cast<int>(ids.size()), err,
                          kErr);
  if (n > static_cast<int>(ids.size())) {
    ids.resize(static_cast<size_t>(n));
    n = plugin().encode(handle_->ptr, text.c_str(), ids.data(), n, err, kErr);
  }
  if (n < 0) throw Error(path_.string() + ": cannot encode text: " + err);
  return {ids.begin(), ids.begin() + n};
}

std::string SentencePiece::decode(const std::vector<int64_t>& ids) const {
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw Error(path_.string() + ": cannot decode id " + std::to_string(id) + " (vocabulary " +
                  std::to_string(vocab_size()) + ")");
    }
  }
  const std::vector<int> v(ids.begin(), ids.end());
  char err[kErr] = {0};
  std::string out(64 + 16 * ids.size(), '\0');
  int n = plugin().decode(handle_->ptr, v.data(), static_cast<int>(v.size()), out.data(),
                          static_cast<int>(out.size()), err, kErr);
  if (n >= static_cast<int>(out.size())) {
    out.assign(static_cast<size_t>(n) + 1, '\0');
    n = plugin().decode(handle_->ptr, v.data(), static_cast<int>(v.size()), out.data(),
                        static_cast<int>(out.size()), err, kErr);
  }
  if (n < 0) throw Error(path_.string() + ": cannot decode ids: " + err);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<std::string> SentencePiece::pieces(const std::string& text) const {
  std::vector<std::string> out;
  for (int64_t id : encode(text)) out.push_back(id_to_piece(id));
  return out;
}

int64_t SentencePiece::vocab_size() const {
  return plugin().info(handle_->ptr, 0);
}
int64_t SentencePiece::bos_id() const {
  return plugin().info(handle_->ptr, 1);
}
int64_t SentencePiece::eos_id() const {
  return plugin().info(handle_->ptr, 2);
}
int64_t SentencePiece::unk_id() const {
  return plugin().info(handle_->ptr, 3);
}
int64_t SentencePiece::pad_id() const {
  return plugin().info(handle_->ptr, 4);
}
int64_t SentencePiece::piece_to_id(const std::string& piece) const {
  return plugin().piece_to_id(handle_->ptr, piece.c_str());
}

std::string SentencePiece::id_to_piece(int64_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error(path_.string() + ": id " + std::to_string(id) + " out of range");
  }
  std::string out(256, '\0');
  int n = plugin().id_to_piece(handle_->ptr, static_cast<int>(id), out.data(),
                               static_cast<int>(out.size()));
  if (n >= static_cast<int>(out.size())) {
    out.assign(static_cast<size_t>(n) + 1, '\0');
    n = plugin().id_to_piece(handle_->ptr, static_cast<int>(id), out.data(),
                             static_cast<int>(out.size()));
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

fs::path train_sentencepiece(const fs::path& input, const fs::path& out, const SpmTrainOptions& o) {
  if (!fs::is_regular_file(input)) throw Error(input.string() + ": no such text file");
  if (o.vocab_size < 8) throw Error("spm: vocab size must be >= 8");
  fs::create_directories(out);
  const fs::path prefix = out / "tokenizer";
  const char* env = std::getenv("SETOK_SPM_TRAIN");
  const std::vector<std::string> argv = {
      env != nullptr ? env : "spm_train",
      "--input=" + input.string(),
      "--model_prefix=" + prefix.string(),
      "--vocab_size=" + std::to_string(o.vocab_size),
      "--model_type=" + o.model_type,
      "--character_coverage=" + std::to_string(o.character_coverage),
      "--unk_id=" + std::to_string(o.unk_id),
      "--bos_id=" + std::to_string(o.bos_id),
      "--eos_id=" + std::to_string(o.eos_id),
      "--pad_id=" + std::to_string(o.pad_id),
      std::string("--hard_vocab_limit=") + (o.hard_vocab_limit ? "true" : "false"),
      "--normalization_rule_name=" + o.normalization,
      std::string("--split_by_whitespace=") + (o.split_by_whitespace ? "true" : "false"),
      std::string("--split_by_unicode_script=") + (o.split_by_unicode_script ? "true" : "false"),
      std::string("--byte_fallback=") + (o.byte_fallback ? "true" : "false"),
      "--minloglevel=1"};
  const runtime::ProcessResult r = runtime::run_process(argv);
  if (r.exit_code != 0) {
    // The trainer's last lines say why.
    std::string tail = r.output.size() > 600 ? r.output.substr(r.output.size() - 600) : r.output;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    throw Error(input.string() + ": SentencePiece training (" + argv[0] + ") failed: " + tail);
  }
  return prefix.string() + ".model";
}

}  // namespace setok::text
