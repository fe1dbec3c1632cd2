#pragma once
// Config section `model.text`: the SigLIP text tower that embeds concept phrases (and captions)
// for the contrastive loss, and the SentencePiece model that tokenises them.
#include <string>

#include "setok/config/schema.h"
#include "setok/vision/siglip_config.h"

namespace setok::vision {

struct TextConfig : config::Section {
  // SentencePiece model: SigLIP's spiece.model at paper scale, `setok_data spm` output for the
  // demo. Empty: no text tower (the concept and caption losses must then be off).
  std::string tokenizer;
  // HF SigLIP folder to take the text tower from (empty = random init from the keys below).
  std::string pretrained;
  int64_t max_length = 16;  // SigLIP uses 64
  int64_t hidden_size = 64;
  int64_t intermediate_size = 128;
  int64_t layers = 2;
  int64_t heads = 4;
  bool trainable = true;

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;
  bool enabled() const { return !tokenizer.empty(); }
  // Architecture for a tokenizer of `vocab_size` pieces (pretrained: from its config.json).
  SiglipTextConfig architecture(int64_t vocab_size) const;
};

}  // namespace setok::vision
