#pragma once
// Concept-level contrastive losses between SeTok tokens and concept phrases (DESIGN §5.8; the
// maths is written out in docs/losses.md). Three forms:
//   token  (default): each phrase is matched to an image by a soft maximum over that image's
//          tokens (the phrase picks its token); InfoNCE over the images of the (gathered) batch
//          in both directions, phrase -> images and image -> phrases. Images that hold the same
//          phrase text are positives, not negatives.
//   pooled: GroupViT's multi-label form on one masked-mean-pooled vector per image.
//   spread: the released per-token form: every token's target spread evenly over all of its
//          image's phrases (its optimum makes an image's tokens alike; kept for comparison).
// Logits are scaled by exp(logit_scale) capped at 100 (learnable, init 1/0.07). Optionally a
// plain image-caption InfoNCE on masked-mean-pooled tokens.
#include <functional>
#include <string>
#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace setok::losses {

// Distributed runs gather the other ranks' padded tensors: (x [B, K, ...], mask [B, K]) ->
// ([W B, K', ...], [W B, K']), this rank's block keeping its autograd history. Every rank then
// computes the loss of the whole gathered batch — its value is the one-process loss — with its
// gradient scaled so that the ranks' average (data-parallel training) is the one-process
// gradient: x W for the features (each rank's backward reaches only its own block, in every row
// and column it appears in) and 1/W more for the temperature (every rank's copy uses it). Every
// rank must call the loss (the collectives run inside it). The default is one process.
struct Gather {
  std::function<std::pair<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&)> all_gather;
  int world = 1;
};

enum class ConceptForm { kToken, kPooled, kSpread };
ConceptForm parse_concept_form(const std::string& name);  // token | pooled | spread

// Stable 63-bit id of a phrase's text (FNV-1a), equal on every rank: phrases with equal ids are
// the same concept.
int64_t phrase_id(const std::string& text);

// Token form on already-normalised features. tokens [B, L, E] + token_mask [B, L]; phrases
// [B, P, E] + phrase_mask [B, P] + phrase_ids [B, P] int64; scale = exp(logit_scale) (capped);
// softness = temperature of the soft maximum over an image's tokens (-> 0: the hard maximum).
at::Tensor token_concept_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                              const at::Tensor& phrases, const at::Tensor& phrase_mask,
                              const at::Tensor& phrase_ids, const at::Tensor& scale,
                              double softness, const Gather& gather = {});

// The spread form: rows are the real tokens of every image (columns: all real phrases of the
// gathered batch) and the real phrases (columns: all real tokens); a row's soft target is uniform
// over its own image's entries. Images without phrases or tokens contribute no rows.
at::Tensor multilabel_contrastive_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                                       const at::Tensor& phrases, const at::Tensor& phrase_mask,
                                       const at::Tensor& scale, const Gather& gather = {});

// Symmetric InfoNCE between image and text embeddings [B, E] (matching rows are pairs).
at::Tensor info_nce_loss(const at::Tensor& image, const at::Tensor& text, const at::Tensor& scale,
                         const Gather& gather = {});

// The soft maximum of `similarity` [..., L] over the entries where `mask` [..., L] is true:
// sum_l softmax(sim / softness)_l * sim_l (0 where no entry is true). Between the mean and the
// maximum; its gradient goes mostly to the best entry.
at::Tensor soft_maximum(const at::Tensor& similarity, const at::Tensor& mask, double softness);

struct ConceptContrastiveOptions {
  int64_t token_dim = 0;  // SeTok token width
  int64_t text_dim = 0;   // text tower pooled width
  int64_t embed_dim = 0;  // shared space (0 = token_dim)
  double temperature = 0.07;
  double max_scale = 100.0;
};

struct ConceptLossOptions {
  ConceptForm form = ConceptForm::kToken;
  double softness = 0.05;  // token form: temperature of the soft maximum
};

// Projections into the shared space and the learnable temperatures.
class ConceptContrastiveImpl : public torch::nn::Module {
 public:
  explicit ConceptContrastiveImpl(const ConceptContrastiveOptions& options);
  // phrase_embeddings [B, P, text_dim] (from the text tower), phrase_ids [B, P] -> loss.
  at::Tensor concept_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                          const at::Tensor& phrase_embeddings, const at::Tensor& phrase_mask,
                          const at::Tensor& phrase_ids, const ConceptLossOptions& options = {},
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

// Masked mean over the token axis: tokens [B, L, D], mask [B, L] -> [B, D].
at::Tensor masked_mean_tokens(const at::Tensor& tokens, const at::Tensor& token_mask);

}  // namespace setok::losses
