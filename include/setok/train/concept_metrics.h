#pragma once
// Do tokens and phrases meet where they should? Two held-out scores on the shared contrastive
// space (normalised token and phrase embeddings):
//   grounding: for each phrase, a hit when the image's token most similar to the phrase is the
//     token whose cluster overlaps that phrase's object the most (phrase i <-> instance i + 1 of
//     the label map). Objects that own no patch (the majority label of none) are skipped and
//     counted. Chance: picking one of the image's L_b tokens at random, 1 / L_b.
//   retrieval: each phrase retrieves the image whose best-matching token is most similar; a hit
//     when that image holds the phrase (same text). Chance: the fraction of images that hold
//     it, averaged over phrases (each phrase type occurs in several images).
// Computed with batched matrix products over all images at once (phrases in chunks).
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::train {

struct ImageConcepts {
  at::Tensor tokens;                // [L, E] normalised token embeddings
  at::Tensor phrases;               // [P, E] normalised phrase embeddings
  std::vector<int64_t> phrase_ids;  // [P] text identity (losses::phrase_id)
  at::Tensor targets;               // [P] int64 grounding token per phrase, -1 = skip; undefined
                                    // when the image has no label map (not grounded)
};

struct ConceptScores {
  double grounding_accuracy = 0, grounding_chance = 0;
  int64_t grounded = 0, grounding_skipped = 0;  // phrases scored / objects owning no patch
  double retrieval_accuracy = 0, retrieval_chance = 0;
  int64_t phrases = 0;
};

ConceptScores concept_scores(const std::vector<ImageConcepts>& images);

// The grounding target of phrases 0..num_phrases-1 of one image: the cluster (token index)
// overlapping instance p + 1 the most, or -1 when that instance owns no patch. labels [H, W]
// (see metrics.h), pixel_cluster [H * W] (train::pixel_clusters), owners [grid^2]
// (train::patch_owners); num_tokens = L_b.
at::Tensor grounding_targets(const at::Tensor& labels, const at::Tensor& pixel_cluster,
                             const at::Tensor& owners, int64_t num_tokens, int64_t num_phrases);

}  // namespace setok::train
