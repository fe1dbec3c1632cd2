#include "setok/vision/siglip_text_tokenizer.h"

#include <cctype>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::vision {

SiglipTextTokenizer::SiglipTextTokenizer(text::SentencePiece model, int64_t max_length,
                                         int64_t pad_id)
    : model_(std::move(model)),
      max_length_(max_length),
      pad_id_(pad_id >= 0 ? pad_id : model_.eos_id()) {
  if (max_length_ < 2) throw Error("SigLIP text: max length must be >= 2");
  if (pad_id_ < 0) throw Error(model_.path().string() + ": the model has no EOS piece to pad with");
}

std::string SiglipTextTokenizer::canonicalize(const std::string& text) {
  std::string out;
  bool space = false;
  for (unsigned char c : text) {
    if (std::ispunct(c)) continue;
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::vector<int64_t> SiglipTextTokenizer::encode_one(const std::string& text) const {
  std::vector<int64_t> ids = model_.encode(canonicalize(text));
  if (static_cast<int64_t>(ids.size()) > max_length_ - 1) ids.resize(max_length_ - 1);
  ids.push_back(model_.eos_id());
  ids.resize(static_cast<size_t>(max_length_), pad_id_);
  return ids;
}

at::Tensor SiglipTextTokenizer::encode(const std::vector<std::string>& texts) const {
  std::vector<int64_t> flat;
  flat.reserve(texts.size() * static_cast<size_t>(max_length_));
  for (const auto& t : texts) {
    const auto ids = encode_one(t);
    flat.insert(flat.end(), ids.begin(), ids.end());
  }
  return at::tensor(flat, at::kLong).view({static_cast<int64_t>(texts.size()), max_length_});
}

}  // namespace setok::vision
