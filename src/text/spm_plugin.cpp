// libsetok_spm: the SentencePiece processor behind a plain C interface, loaded with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND) by text/sentencepiece.cpp.
//
// Why a plugin: Debian's libsentencepiece.so carries its own protobuf-lite (3.14) and exports it,
// while Debian's libtorch links the system libprotobuf (3.21). Linked into one executable the two
// interpose each other and the process crashes while protobuf initialises; loaded locally
// without deep binding SentencePiece binds to 3.21 and aborts on its version check (both seen
// here). Deep binding keeps SentencePiece on its own copy. The trainer is not used in-process:
// it logs to std::cerr, which under deep binding resolves to libstdc++'s uninitialised original
// rather than the executable's copy-relocated stream (it crashed); training runs the
// `spm_train` program instead.
#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

void set_error(char* err, size_t len, const std::string& what) {
  if (err == nullptr || len == 0) return;
  std::strncpy(err, what.c_str(), len - 1);
  err[len - 1] = '\0';
}

// Copies `s` into out (cap bytes, NUL-terminated when it fits); returns the full length.
int copy_out(const std::string& s, char* out, int cap) {
  if (out != nullptr && cap > 0) {
    const size_t n = std::min(static_cast<size_t>(cap - 1), s.size());
    std::memcpy(out, s.data(), n);
    out[n] = '\0';
  }
  return static_cast<int>(s.size());
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* setok_spm_load(const char* path, char* err,
                                                            size_t len) {
  auto* sp = new sentencepiece::SentencePieceProcessor();
  const auto status = sp->Load(path);
  if (!status.ok()) {
    set_error(err, len, status.ToString());
    delete sp;
    return nullptr;
  }
  return sp;
}

__attribute__((visibility("default"))) void setok_spm_free(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

// Returns the number of ids (writing at most cap), or -1 on error.
__attribute__((visibility("default"))) int setok_spm_encode(void* handle, const char* text,
                                                            int* out, int cap, char* err,
                                                            size_t len) {
  std::vector<int> ids;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(text, &ids);
  if (!status.ok()) {
    set_error(err, len, status.ToString());
    return -1;
  }
  for (int i = 0; i < cap && i < static_cast<int>(ids.size()); ++i) out[i] = ids[i];
  return static_cast<int>(ids.size());
}

// Returns the text length (writing at most cap - 1 bytes), or -1 on error.
__attribute__((visibility("default"))) int setok_spm_decode(void* handle, const int* ids, int n,
                                                            char* out, int cap, char* err,
                                                            size_t len) {
  std::string text;
  const auto status = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Decode(
      std::vector<int>(ids, ids + n), &text);
  if (!status.ok()) {
    set_error(err, len, status.ToString());
    return -1;
  }
  return copy_out(text, out, cap);
}

// what: 0 vocab size, 1 bos, 2 eos, 3 unk, 4 pad
__attribute__((visibility("default"))) int setok_spm_info(void* handle, int what) {
  auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(handle);
  switch (what) {
    case 0:
      return sp->GetPieceSize();
    case 1:
      return sp->bos_id();
    case 2:
      return sp->eos_id();
    case 3:
      return sp->unk_id();
    case 4:
      return sp->pad_id();
    default:
      return -1;
  }
}

__attribute__((visibility("default"))) int setok_spm_piece_to_id(void* handle, const char* piece) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->PieceToId(piece);
}

__attribute__((visibility("default"))) int setok_spm_id_to_piece(void* handle, int id, char* out,
                                                                 int cap) {
  return copy_out(static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IdToPiece(id), out,
                  cap);
}

}  // extern "C"
