#pragma once
// Config sections of Setokim's own parts: `model.projectors` and `model.diffusion`.
#include <string>

#include "setok/config/schema.h"
#include "setok/diffusion/diffloss.h"
#include "setok/mllm/slot_masking.h"

namespace setok::mllm {

struct ProjectorsConfig : config::Section {
  std::string in = "mlp2x_gelu";   // mm_in_projector: SeTok token -> LLM hidden
  std::string out = "mlp2x_gelu";  // mm_out_projector: LLM hidden -> diffusion condition
  void describe(config::Schema& s) override;
};

// The MAR diffusion head over SeTok tokens and its training-time slot masking. Defaults are the
// released recipe's (DESIGN §5.10: width 1024 and depth 3 — the released diffloss_w /
// diffloss_d hold them swapped —, batch mul 4, mask ratio min 0.7, 100 sampling steps, cosine).
struct DiffusionHeadConfig : config::Section {
  int64_t width = 1024;
  int64_t depth = 3;
  int64_t diffusion_batch_mul = 4;
  std::string num_sampling_steps = "100";
  std::string noise_schedule = "cosine";
  double sample_clip = 0.0;  // > 0: sampled tokens' predicted x_0 clamped to [-c, c]
  // Sampling starts at the noisiest respaced step with abar >= this (0: MAR's t = 999 start).
  double sample_min_alpha_bar = 1e-4;
  double min_snr_gamma = 0.0;  // DiffLossOptions::min_snr_gamma
  double mask_ratio_min = 0.7;
  double mask_ratio_std = 0.25;
  // The space the head draws SeTok tokens in (token_norm.h); fitted on the SeTok tokens of the
  // first token_norm_images training images of a run that does not inherit a fitted one.
  std::string token_norm = "none";
  int64_t token_norm_images = 512;
  // Every slot's condition also reads the LLM state at its image's <im_start> (see
  // SetokimModelOptions::start_condition).
  bool start_condition = false;
  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  diffusion::DiffLossOptions options() const;
  SlotMaskingOptions masking() const { return {mask_ratio_min, mask_ratio_std}; }
};

}  // namespace setok::mllm
