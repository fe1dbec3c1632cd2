#pragma once
// Text for the SigLIP text tower, with SigLIP's conventions: lower-cased, punctuation removed,
// SentencePiece ids + EOS, truncated and padded to a fixed length (SigLIP trains with 64) with
// the pad id (SigLIP pads with </s>, the EOS piece); the tower pools the last position.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/text/sentencepiece.h"

namespace setok::vision {

class SiglipTextTokenizer {
 public:
  // pad_id < 0: pad with the model's EOS id (SigLIP's behaviour).
  SiglipTextTokenizer(text::SentencePiece model, int64_t max_length = 64, int64_t pad_id = -1);

  // [B, max_length] int64.
  at::Tensor encode(const std::vector<std::string>& texts) const;
  std::vector<int64_t> encode_one(const std::string& text) const;
  static std::string canonicalize(const std::string& text);  // lower-case, no punctuation

  int64_t vocab_size() const { return model_.vocab_size(); }
  int64_t max_length() const { return max_length_; }
  int64_t pad_id() const { return pad_id_; }

 private:
  text::SentencePiece model_;
  int64_t max_length_;
  int64_t pad_id_;
};

}  // namespace setok::vision
