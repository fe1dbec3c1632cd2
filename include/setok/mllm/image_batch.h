#pragma once
// Setokim's one way from a batch's images to SeTok tokens, for training and inference alike:
// every sample's images through the frozen tokenizer in one pass, each image's token count, and
// where each sample's images start. The sequences that splice those tokens in are built by
// expand_images and collated by collate_sequences (mllm/sequence.h), right-padded for training
// and left-padded for prompts.
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/mllm/setokim.h"

namespace setok::mllm {

struct ImageBatch {
  at::Tensor tokens;            // [N, L_max, D] float32 on the model's device; [1, 1, D] zeros
                                // when the batch has no image
  std::vector<int64_t> counts;  // [N] tokens of each image (the rest of its row is padding)
  std::vector<int64_t> first;   // per sample: the batch-wide index of its first image
  // Sample s's token counts, one per image of it.
  std::vector<int64_t> of(size_t sample) const;
};

// images[s]: sample s's preprocessed pixels [3, S, S], in marker order. `image_seeds`: one per
// image (in batch order) or empty; an image with a seed draws its clustering tie-break noise from
// (run seed, that seed), so it gets the same tokens in any batch (training passes sample-derived
// seeds); without, the tokenizer's noise stream is used. SeTok runs in eval mode, no gradients.
ImageBatch tokenize_images(SetokimImpl& setokim, const std::vector<std::vector<at::Tensor>>& images,
                           const std::vector<int64_t>& image_seeds = {});

}  // namespace setok::mllm
