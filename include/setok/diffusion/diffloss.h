#pragma once
// MAR's DiffLoss: a small diffusion model that learns p(x | z) for continuous vectors x (SeTok
// tokens, image patches) given a condition z. Training draws t and noise per row; sampling runs
// the respaced reverse process. Parameter names: net.* (SimpleMLPAdaLN), as in MAR.
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/diffusion/gaussian_diffusion.h"
#include "setok/diffusion/simple_mlp_adaln.h"

namespace setok::diffusion {

struct DiffLossOptions {
  int64_t target_channels = 0;  // width of x
  int64_t z_channels = 0;       // width of the condition
  int64_t width = 1024;
  int64_t depth = 3;
  int64_t train_steps = 1000;
  std::string num_sampling_steps = "100";  // respacing of the sampling diffusion
  std::string noise_schedule = "cosine";
  int64_t diffusion_batch_mul = 1;  // each row is trained with this many (t, noise) draws
  // > 0: clamp the predicted x_0 to [-sample_clip, sample_clip] at every sampling step (1 for
  // pixels, which lie in [-1, 1]). 0: unclamped, as MAR samples.
  double sample_clip = 0.0;
  // > 0: sampling starts at the noisiest respaced step whose abar is at least this
  // (drop_low_signal_steps); 0: every respaced step, as MAR samples. With the cosine schedule
  // MAR's first step (t = 999, abar 2.4e-9) multiplies the head's epsilon error by ~2e4 in x_0;
  // a briefly trained head then lands far outside the data (measured: Setokim tiny sampled
  // tokens at RMS ~1,000 against the real tokens' 1.3) unless x_0 is clamped.
  double sample_min_alpha_bar = 0.0;
  // > 0: Min-SNR-gamma loss weighting (Hang et al., 2023): each row's epsilon MSE is weighted by
  // min(SNR(t), gamma) / SNR(t), so the nearly clean steps, whose epsilon error is large but
  // says little about what is drawn, no longer outweigh the noisy steps where the condition
  // decides the sample. 0: unweighted, as MAR trains.
  double min_snr_gamma = 0.0;
};

class DiffLossImpl : public torch::nn::Module {
 public:
  explicit DiffLossImpl(const DiffLossOptions& options);

  // target [N, C], z [N, Z], mask [N] (1 = counts; undefined = all) -> scalar: mean over the
  // counted rows (each repeated diffusion_batch_mul times) of MSE + VB.
  at::Tensor forward(const at::Tensor& target, const at::Tensor& z, const at::Tensor& mask = {},
                     std::optional<at::Generator> generator = std::nullopt);

  // The same loss with every draw owned by a group of rows: target [N, C], z [N, Z] with the rows
  // in G equal groups (N = G R, group g = rows g R .. g R + R - 1), seeds [G] int64. Group g's
  // generator, seeded with seeds[g], draws for each of the diffusion_batch_mul repeats the R
  // timesteps then the [R, C] noise. A row's draws depend on its group's seed only, not on the
  // batch around it (per-sample randomness: data-parallel ranks reproduce one process).
  at::Tensor forward_seeded(const at::Tensor& target, const at::Tensor& z, const at::Tensor& seeds);

  // The loss terms at given t (original steps) and noise, per row (tests, parity).
  GaussianDiffusion::Losses losses(const at::Tensor& target, const at::Tensor& z,
                                   const at::Tensor& t, const at::Tensor& noise);

  // Samples x for each row of z [N, Z] -> [N, C]. With cfg != 1, z holds conditional rows then
  // unconditional rows ([2M, Z]); both halves share one noise draw and the result is [2M, C]
  // (take the first M).
  at::Tensor sample(const at::Tensor& z, double temperature = 1.0, double cfg = 1.0,
                    std::optional<at::Generator> generator = std::nullopt);

  const DiffLossOptions& options() const { return options_; }
  const GaussianDiffusion& train_diffusion() const { return train_; }
  const GaussianDiffusion& gen_diffusion() const { return gen_; }

  SimpleMLPAdaLN net{nullptr};

 private:
  void check(const at::Tensor& z, const char* what) const;
  DiffLossOptions options_;
  GaussianDiffusion train_, gen_;
};
TORCH_MODULE(DiffLoss);

}  // namespace setok::diffusion
