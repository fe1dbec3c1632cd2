#pragma once
// Gaussian diffusion as MAR uses it (guided-diffusion / DiT semantics): beta schedules,
// respacing, epsilon prediction with learned-range variance, q_sample, p_mean_variance,
// training losses (MSE on epsilon + variational bound in bits) and ancestral sampling with a
// temperature. Schedule arrays are float64; each coefficient is taken in float64 and cast to
// float32 where it meets a tensor, exactly as the reference does, so results match it.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace setok::diffusion {

enum class BetaSchedule { kLinear, kCosine };
BetaSchedule parse_beta_schedule(const std::string& name);  // "linear" | "cosine"

// float64 [steps]. cosine: betas from alpha_bar(t) = cos^2((t + 0.008) / 1.008 * pi / 2),
// capped at 0.999; linear: 1e-4 .. 0.02 scaled by 1000 / steps.
at::Tensor beta_schedule(BetaSchedule schedule, int64_t steps);

// The kept timesteps for a respacing string ("" = all, "100", "10,15,20" per section,
// "ddimN"), ascending. Errors for impossible requests.
std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& respacing);

// `use` (kept timesteps, ascending) without the steps whose cumulative alpha under `base_betas`
// is below `min_alpha_bar` (the first step is always kept). Sampling then starts from pure noise
// at the noisiest step that still carries signal: at t = 999 of the cosine schedule abar is
// 2.4e-9, and x_0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar) turns the head's epsilon error there
// into an x_0 error ~2e4 times larger, which the step's posterior mean carries on.
std::vector<int64_t> drop_low_signal_steps(const at::Tensor& base_betas, std::vector<int64_t> use,
                                           double min_alpha_bar);

class GaussianDiffusion {
 public:
  // model(x_t [B, C], t [B] in original timesteps) -> [B, 2C] (epsilon, variance values).
  using Model = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t)>;

  // A diffusion over `base_betas` keeping `use_timesteps` (empty = all): the respaced betas are
  // 1 - abar_i / abar_prev over the kept steps, and the model sees the original timesteps.
  GaussianDiffusion(const at::Tensor& base_betas, std::vector<int64_t> use_timesteps = {});
  // min_alpha_bar > 0: the respaced steps of drop_low_signal_steps.
  static GaussianDiffusion create(BetaSchedule schedule, int64_t steps = 1000,
                                  const std::string& respacing = "", double min_alpha_bar = 0.0);

  int64_t num_timesteps() const { return static_cast<int64_t>(timestep_map_.size()); }
  const at::Tensor& betas() const { return betas_; }  // float64 [T]
  const std::vector<int64_t>& timestep_map() const { return timestep_map_; }

  // Signal-to-noise ratio abar_t / (1 - abar_t) at t [B] (this diffusion's indices) -> [B] float32.
  at::Tensor snr(const at::Tensor& t) const;

  // sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise
  at::Tensor q_sample(const at::Tensor& x_start, const at::Tensor& t,
                      const at::Tensor& noise) const;

  struct MeanVariance {
    at::Tensor mean, variance, log_variance, pred_xstart;
  };
  // t in this diffusion's (respaced) indices; clip > 0 clamps the predicted x_0 to [-clip, clip].
  MeanVariance p_mean_variance(const Model& model, const at::Tensor& x, const at::Tensor& t,
                               double clip = 0.0) const;

  struct Losses {
    at::Tensor loss, mse, vb;  // per sample [B]; vb in bits
  };
  Losses training_losses(const Model& model, const at::Tensor& x_start, const at::Tensor& t,
                         const at::Tensor& noise) const;

  // x_T = noise -> x_0 over every step; noise at each step scaled by `temperature`; clip as
  // p_mean_variance's.
  at::Tensor p_sample_loop(const Model& model, const at::Tensor& noise, double temperature = 1.0,
                           double clip = 0.0,
                           std::optional<at::Generator> generator = std::nullopt) const;

 private:
  // arr[t] as float32, shaped [B, 1, ...] to broadcast against `like`.
  at::Tensor extract(const at::Tensor& arr, const at::Tensor& t, const at::Tensor& like) const;
  at::Tensor original_t(const at::Tensor& t) const;  // respaced index -> original timestep
  struct Posterior {
    at::Tensor mean, variance, log_variance;
  };
  Posterior q_posterior(const at::Tensor& x_start, const at::Tensor& x_t,
                        const at::Tensor& t) const;

  std::vector<int64_t> timestep_map_;
  at::Tensor map_tensor_;  // int64 [T]
  at::Tensor betas_, log_betas_, alphas_cumprod_, sqrt_alphas_cumprod_,
      sqrt_one_minus_alphas_cumprod_, sqrt_recip_alphas_cumprod_, sqrt_recipm1_alphas_cumprod_,
      posterior_variance_, posterior_log_variance_clipped_, posterior_mean_coef1_,
      posterior_mean_coef2_;
};

// KL(N(mean1, exp(logvar1)) || N(mean2, exp(logvar2))), elementwise.
at::Tensor normal_kl(const at::Tensor& mean1, const at::Tensor& logvar1, const at::Tensor& mean2,
                     const at::Tensor& logvar2);
// Log-likelihood of x in [-1, 1] discretised to 256 bins under N(means, exp(2 log_scales)).
at::Tensor discretized_gaussian_log_likelihood(const at::Tensor& x, const at::Tensor& means,
                                               const at::Tensor& log_scales);

}  // namespace setok::diffusion
