#pragma once
// MAR's iterative sampler: a random order per sample, a cosine schedule for how many positions
// stay masked after each step, and per step one DiffLoss sample for the positions revealed in
// that step, conditioned on what the caller computes from the current state (for Setokim, an
// LLM pass over the image span). Classifier-free guidance with a linear or constant schedule.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "setok/diffusion/diffloss.h"

namespace setok::diffusion {

struct MarSamplerOptions {
  int64_t num_iter = 64;
  double cfg = 1.0;
  std::string cfg_schedule = "linear";  // "linear" | "constant"
  double temperature = 1.0;
};

// tokens [B, N, D] (zeros where not yet sampled), mask [B, N] bool (true = still unknown),
// unconditional -> conditions [B, N, Z] for every position.
using ConditionFn =
    std::function<at::Tensor(const at::Tensor& tokens, const at::Tensor& mask, bool unconditional)>;

// Positions still masked after step `step` of `num_iter` for a sequence of `n`, given
// `unknown` positions currently masked: floor(n cos(pi/2 (step+1)/num_iter)), clamped to
// [1, unknown - 1] (MAR's schedule; the last step reveals everything left).
int64_t mar_mask_len(int64_t n, int64_t step, int64_t num_iter, int64_t unknown);

// Guidance scale at a step where `mask_len` of `n` positions remain masked.
double mar_cfg_scale(const MarSamplerOptions& options, int64_t n, int64_t mask_len);

// Samples [B, N, D] tokens. `generator` drives the orders and the diffusion noise.
at::Tensor mar_sample(const ConditionFn& condition, DiffLossImpl& diffloss, int64_t batch,
                      int64_t length, const MarSamplerOptions& options,
                      std::optional<at::Generator> generator = std::nullopt,
                      const at::TensorOptions& tensor_options = at::TensorOptions());

// Rows of different lengths (Setokim's images differ in token count): row b samples lengths[b]
// tokens; positions at or past its length stay zero, are never masked and never sampled. Each
// row has its own order, schedule, guidance scale and generator (generators[b]), so a row's
// draws do not depend on the rest of the batch. `condition` sees tokens [B, N_max, D] and mask
// [B, N_max] and returns [B, N_max, Z].
at::Tensor mar_sample_rows(const ConditionFn& condition, DiffLossImpl& diffloss,
                           const std::vector<int64_t>& lengths, const MarSamplerOptions& options,
                           std::vector<at::Generator> generators,
                           const at::TensorOptions& tensor_options = at::TensorOptions());

}  // namespace setok::diffusion
