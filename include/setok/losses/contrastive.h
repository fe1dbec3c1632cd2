#pragma once
// Concept-level contrastive loss (DESIGN §5.8, GroupViT's multi-label form): every image token
// should match all of its own image's concept phrases and none of the others'. Rows are the
// real tokens of every image (columns: all real phrases of the (gathered) batch), and the real
// phrases (columns: all real tokens); a row's soft target is uniform over its own image's
// entries: 1/P_b for a token of image b, 1/L_b for a phrase. Symmetric mean of the two soft
// cross-entropies, logits scaled by exp(logit_scale) capped at 100 (learnable, init 1/0.07).
// Optionally a plain image-caption InfoNCE on masked-mean-pooled tokens.
#include <functional>
#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace setok::losses {

// Distributed runs gather the other ranks' padded features: (x [B, K, E], mask [B, K]) ->
// ([W B, K', E], [W B, K']) with this rank's block at `rank * B`. The default is the identity.
struct Gather {
  std::function<std::pair<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&)> all_gather;
  int rank = 0;
};

// The loss itself, on already-projected features. tokens [B, L, E] + token_mask [B, L];
// phrases [B, P, E] + phrase_mask [B, P]; scale = exp(logit_scale) (already capped).
// Images without phrases or without tokens contribute no rows (their entries stay negatives).
at::Tensor multilabel_contrastive_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                                       const at::Tensor& phrases, const at::Tensor& phrase_mask,
                                       const at::Tensor& scale, const Gather& gather = {});

// Symmetric InfoNCE between image and text embeddings [B, E] (matching rows are pairs).
at::Tensor info_nce_loss(const at::Tensor& image, const at::Tensor& text, const at::Tensor& scale,
                         const Gather& gather = {});

struct ConceptContrastiveOptions {
  int64_t token_dim = 0;  // SeTok token width
  int64_t text_dim = 0;   // text tower pooled width
  int64_t embed_dim = 0;  // shared space (0 = token_dim)
  double temperature = 0.07;
  double max_scale = 100.0;
};

// Projections into the shared space and the learnable temperatures.
class ConceptContrastiveImpl : public torch::nn::Module {
 public:
  explicit ConceptContrastiveImpl(const ConceptContrastiveOptions& options);
  // phrase_embeddings [B, P, text_dim] (from the text tower) -> loss.
  at::Tensor concept_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                          const at::Tensor& phrase_embeddings, const at::Tensor& phrase_mask,
                          const Gather& gather = {});
  // caption_embeddings [B, text_dim] -> loss on masked-mean-pooled tokens.
  at::Tensor caption_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                          const at::Tensor& caption_embeddings, const Gather& gather = {});
  at::Tensor scale() const;          // exp(logit_scale), capped
  at::Tensor caption_scale() const;  // exp(caption_logit_scale), capped
  // Normalised embeddings in the shared space: tokens [B, L, E], texts [..., E].
  at::Tensor embed_tokens(const at::Tensor& tokens);
  at::Tensor embed_texts(const at::Tensor& texts);

  torch::nn::Linear token_proj{nullptr};
  torch::nn::Linear text_proj{nullptr};
  at::Tensor logit_scale;
  at::Tensor caption_logit_scale;

 private:
  ConceptContrastiveOptions options_;
};
TORCH_MODULE(ConceptContrastive);

}  // namespace setok::losses
