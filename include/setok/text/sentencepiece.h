#pragma once
// SentencePiece models: loading (errors name the file), encoding / decoding, special ids, and
// training with the library's trainer (`setok_data spm`). Shared by the SigLIP text tower
// (concept phrases) and the LLM tokenizer. The library itself runs in a plugin
// (libsetok_spm.so, see src/text/spm_plugin.cpp for why); set SETOK_SPM_PLUGIN to its path when
// it is not next to the executable or in the build tree.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace setok::text {

class SentencePiece {
 public:
  // Throws setok::Error naming the file when it is missing or not a SentencePiece model.
  explicit SentencePiece(const std::filesystem::path& model);
  ~SentencePiece();
  SentencePiece(SentencePiece&&) noexcept;
  SentencePiece& operator=(SentencePiece&&) noexcept;

  std::vector<int64_t> encode(const std::string& text) const;
  std::string decode(const std::vector<int64_t>& ids) const;
  std::vector<std::string> pieces(const std::string& text) const;

  int64_t vocab_size() const;
  int64_t bos_id() const;  // -1 when the model has none
  int64_t eos_id() const;
  int64_t unk_id() const;
  int64_t pad_id() const;
  int64_t piece_to_id(const std::string& piece) const;  // unk_id() for unknown pieces
  std::string id_to_piece(int64_t id) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Handle;
  std::filesystem::path path_;
  std::unique_ptr<Handle> handle_;
};

struct SpmTrainOptions {
  int64_t vocab_size = 1000;
  std::string model_type = "unigram";  // unigram | bpe | char | word
  double character_coverage = 1.0;
  // LLaMA's id layout: unk 0, bos 1, eos 2, no pad.
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  bool hard_vocab_limit = false;           // allow fewer pieces than vocab_size on small corpora
  std::string normalization = "identity";  // or nmt_nfkc (SentencePiece's default)
  bool split_by_whitespace = true;         // false lets pieces span words (merges across spaces)
  bool split_by_unicode_script = true;     // false lets pieces mix letters and punctuation
  bool byte_fallback = false;              // LLaMA's setting: unknown characters become byte pieces
};

// Trains `<out>/tokenizer.model` (and tokenizer.vocab) from a text file (one sentence per
// line) with SentencePiece's `spm_train` program (Debian package `sentencepiece`; override with
// SETOK_SPM_TRAIN). Returns the model path. Errors name the input and the trainer's complaint.
std::filesystem::path train_sentencepiece(const std::filesystem::path& input,
                                          const std::filesystem::path& out,
                                          const SpmTrainOptions& options);

}  // namespace setok::text
