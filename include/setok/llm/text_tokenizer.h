#pragma once
// The LLM's text tokenizer: a SentencePiece `tokenizer.model` with LLaMA's conventions (BOS
// prepended, EOS ends a reply, pad = unk as LLaVA sets it) plus the Setokim special tokens
// appended after the base vocabulary:
//   <im_start> = V, <im_end> = V + 1, <target> = V + 2   (V = the SentencePiece vocabulary)
// `<image>` is not a vocabulary token: it encodes to kImageTokenId (-200), where image tokens
// are spliced in (LLaVA's convention).
//
// Special strings in text ("<s>", "</s>", "<unk>", "<image>", "<im_start>", "<im_end>",
// "<target>") become their ids; the text between them is encoded chunk by chunk (each chunk
// gets SentencePiece's dummy-prefix space), as HF's slow LLaMA tokenizer and LLaVA's
// tokenizer_image_token do.
#include <filesystem>
#include <string>
#include <vector>

#include "setok/text/sentencepiece.h"

namespace setok::llm {

constexpr int64_t kImageTokenId = -200;
constexpr int64_t kIgnoreIndex = -100;

class TextTokenizer {
 public:
  explicit TextTokenizer(const std::filesystem::path& model);

  std::vector<int64_t> encode(const std::string& text, bool add_bos = true) const;
  // Specials (and BOS / EOS, and -200) are dropped when skip_special, else written as their
  // strings.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const;

  int64_t base_vocab_size() const { return base_; }
  int64_t vocab_size() const { return base_ + 3; }  // what the LLM's embedding must cover
  int64_t bos_id() const { return bos_; }           // -1 when the model has none
  int64_t eos_id() const { return eos_; }
  int64_t pad_id() const { return pad_; }
  int64_t im_start_id() const { return base_; }
  int64_t im_end_id() const { return base_ + 1; }
  int64_t target_id() const { return base_ + 2; }
  bool is_special(int64_t id) const;
  const text::SentencePiece& sentencepiece() const { return spm_; }

 private:
  text::SentencePiece spm_;
  int64_t base_, bos_, eos_, pad_;
};

}  // namespace setok::llm
