#pragma once
// The full SeTok model of stage 1 (it lives with the recipe: the tokenizer itself knows nothing
// of the detokenizer and the losses): tokenizer, detokenizer, and (when configured) the text tower
// and projections of the concept contrastive loss. Checkpoint names: tokenizer.*,
// detokenizer.*, text_tower.*, contrastive.*.
#include <memory>
#include <optional>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/detokenizer/setok_detokenizer.h"
#include "setok/losses/contrastive.h"
#include "setok/tokenizer/setok_tokenizer.h"
#include "setok/vision/siglip_text.h"
#include "setok/vision/siglip_text_tokenizer.h"
#include "setok/vision/text_config.h"

namespace setok::train {

struct Stage1ModelOptions {
  vision::VisionConfig vision;
  tokenizer::TokenizerConfig tokenizer;
  detokenizer::DetokenizerConfig detokenizer;
  vision::TextConfig text;
};

class Stage1ModelImpl : public torch::nn::Module {
 public:
  explicit Stage1ModelImpl(const Stage1ModelOptions& options);

  bool has_text() const { return !text_tower.is_empty(); }
  // Pooled text-tower embeddings [N, text width] for strings (tokenised SigLIP-style).
  at::Tensor embed_texts(const std::vector<std::string>& texts, const c10::Device& device);

  tokenizer::SetokTokenizer tokenizer{nullptr};
  detokenizer::SetokDetokenizer detokenizer{nullptr};
  vision::SiglipTextModel text_tower{nullptr};
  losses::ConceptContrastive contrastive{nullptr};

 private:
  std::shared_ptr<vision::SiglipTextTokenizer> text_tokenizer_;
};
TORCH_MODULE(Stage1Model);

}  // namespace setok::train
