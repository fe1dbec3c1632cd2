#pragma once
// MAR-style masking of an output image's slots during training (DESIGN §5.10): a mask ratio r
// from a normal of mean 1 and std 0.25 truncated to [mask_ratio_min, 1]; ceil(r L) of the L
// slots, the first of a random order, are hidden (they get the <target> embedding and the
// diffusion loss); the others are visible (they get the projected ground-truth token). Every draw
// comes from (seed, global sample index, image) through a portable generator, so a sample is
// masked the same way whatever the rank, batch or worker that handles it.
#include <cstdint>

#include <ATen/core/Tensor.h>

namespace setok::mllm {

struct SlotMaskingOptions {
  double mask_ratio_min = 0.7;  // MAR's default
  double std = 0.25;
};

// The ratio draw alone (for tests of its distribution).
double draw_mask_ratio(const SlotMaskingOptions& options, uint64_t seed, uint64_t sample,
                       uint64_t image);

// bool [L]: true = hidden.
at::Tensor hidden_slots(int64_t slots, const SlotMaskingOptions& options, uint64_t seed,
                        uint64_t sample, uint64_t image);

// int64 [L]: the seed of each slot's diffusion draws (timesteps and noise) for (seed, sample,
// image), distinct per slot, so a slot's draws do not depend on the batch or rank it is in.
at::Tensor slot_diffusion_seeds(int64_t slots, uint64_t seed, uint64_t sample, uint64_t image);

}  // namespace setok::mllm
