#include "setok/mllm/setokim_config.h"

#include "setok/runtime/error.h"

namespace setok::mllm {

void ProjectorsConfig::describe(config::Schema& s) {
  s.choice("in", in, {"linear", "mlp2x_gelu"}, "mm_in_projector: SeTok token -> LLM hidden");
  s.choice("out", out, {"linear", "mlp2x_gelu"},
           "mm_out_projector: LLM hidden -> the diffusion head's condition");
}

void DiffusionHeadConfig::describe(config::Schema& s) {
  s.field("width", width, "DiffLoss MLP width (released: 1024)");
  s.field("depth", depth, "DiffLoss residual blocks (released: 3)");
  s.field("diffusion_batch_mul", diffusion_batch_mul, "(t, noise) draws per hidden slot");
  s.field("num_sampling_steps", num_sampling_steps, "respacing used when sampling, e.g. \"100\"");
  s.choice("noise_schedule", noise_schedule, {"cosine", "linear"}, "beta schedule");
  s.field("sample_clip", sample_clip,
          "sampling: clamp each predicted clean token to [-c, c] (0 = unclamped, as MAR)");
  s.field("sample_min_alpha_bar", sample_min_alpha_bar,
          "sampling starts from noise at the noisiest respaced step whose alpha_bar is at least "
          "this (0 = MAR's start at t = 999, where alpha_bar is 2.4e-9 and the head's epsilon "
          "error is magnified ~2e4 times in the clean token)");
  s.field("min_snr_gamma", min_snr_gamma,
          "> 0: Min-SNR-gamma weighting of the diffusion loss (each row's epsilon MSE times "
          "min(SNR, gamma) / SNR; 5 in the paper); 0: unweighted, as MAR");
  s.field("mask_ratio_min", mask_ratio_min,
          "MAR masking: the hidden fraction of an output image's slots is drawn from N(1, std) "
          "truncated to [mask_ratio_min, 1]");
  s.field("mask_ratio_std", mask_ratio_std, "MAR masking: the normal's standard deviation");
  s.choice("token_norm", token_norm, {"none", "standardize", "whiten"},
           "the space tokens are read and drawn in: none (the merger's raw output, as released), "
           "standardize (per dimension to mean 0, std 1) or whiten (decorrelated, unit "
           "variance); fitted on training tokens at the run's start, kept in its checkpoints");
  s.field("token_norm_images", token_norm_images,
          "training images whose SeTok tokens fit token_norm");
  s.field("start_condition", start_condition,
          "every slot's diffusion condition also reads the LLM state at its image's <im_start> "
          "(the state that has read the whole prompt and predicts the count), through a learned "
          "linear map added before the condition's LayerNorm");
}

void DiffusionHeadConfig::validate(const std::string& p) const {
  if (width < 1 || depth < 1) config::fail(p, "width and depth must be >= 1");
  if (!(sample_clip >= 0)) config::fail(config::join(p, "sample_clip"), "must be >= 0");
  if (!(sample_min_alpha_bar >= 0 && sample_min_alpha_bar < 1))
    config::fail(config::join(p, "sample_min_alpha_bar"), "must be in [0, 1)");
  if (diffusion_batch_mul < 1) config::fail(config::join(p, "diffusion_batch_mul"), "must be >= 1");
  if (!(min_snr_gamma >= 0)) config::fail(config::join(p, "min_snr_gamma"), "must be >= 0");
  if (!(mask_ratio_min > 0 && mask_ratio_min <= 1))
    config::fail(config::join(p, "mask_ratio_min"), "must be in (0, 1]");
  if (!(mask_ratio_std > 0)) config::fail(config::join(p, "mask_ratio_std"), "must be > 0");
  if (token_norm_images < 1) config::fail(config::join(p, "token_norm_images"), "must be >= 1");
}

diffusion::DiffLossOptions DiffusionHeadConfig::options() const {
  diffusion::DiffLossOptions o;
  o.width = width;
  o.depth = depth;
  o.diffusion_batch_mul = diffusion_batch_mul;
  o.num_sampling_steps = num_sampling_steps;
  o.noise_schedule = noise_schedule;
  o.sample_clip = sample_clip;
  o.sample_min_alpha_bar = sample_min_alpha_bar;
  o.min_snr_gamma = min_snr_gamma;
  return o;
}

}  // namespace setok::mllm
