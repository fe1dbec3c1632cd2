#include "setok/diffusion/gaussian_diffusion.h"

#include <cmath>
#include <set>
#include <sstream>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::diffusion {

BetaSchedule parse_beta_schedule(const std::string& name) {
  if (name == "linear") return BetaSchedule::kLinear;
  if (name == "cosine") return BetaSchedule::kCosine;
  throw Error("noise schedule must be linear or cosine, got '" + name + "'");
}

at::Tensor beta_schedule(BetaSchedule schedule, int64_t steps) {
  if (steps < 1) throw Error("diffusion steps must be >= 1");
  std::vector<double> betas(steps);
  if (schedule == BetaSchedule::kLinear) {
    const double scale = 1000.0 / static_cast<double>(steps);
    const double start = scale * 0.0001, end = scale * 0.02;
    // numpy.linspace: i * step + start, the last point exactly `end`.
    const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    for (int64_t i = 0; i < steps; ++i) betas[i] = static_cast<double>(i) * step + start;
    if (steps > 1) betas[steps - 1] = end;
  } else {
    auto alpha_bar = [](double t) {
      const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
      return c * c;
    };
    for (int64_t i = 0; i < steps; ++i) {
      const double t1 = static_cast<double>(i) / static_cast<double>(steps);
      const double t2 = static_cast<double>(i + 1) / static_cast<double>(steps);
      betas[i] = std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
    }
  }
  return at::tensor(betas, at::kDouble);
}

std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& respacing) {
  std::vector<int64_t> out;
  if (respacing.empty()) {
    for (int64_t i = 0; i < num_timesteps; ++i) out.push_back(i);
    return out;
  }
  std::vector<int64_t> sections;
  if (respacing.rfind("ddim", 0) == 0) {
    const int64_t desired = std::stoll(respacing.substr(4));
    for (int64_t stride = 1; stride < num_timesteps; ++stride) {
      std::set<int64_t> steps;
      for (int64_t i = 0; i < num_timesteps; i += stride) steps.insert(i);
      if (static_cast<int64_t>(steps.size()) == desired) return {steps.begin(), steps.end()};
    }
    throw Error("cannot create exactly " + std::to_string(desired) +
                " steps with an integer stride");
  }
  std::stringstream in(respacing);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      size_t used = 0;
      sections.push_back(std::stoll(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      throw Error("timestep respacing '" + respacing + "': '" + part + "' is not a number");
    }
  }
  const int64_t n = static_cast<int64_t>(sections.size());
  const int64_t size_per = num_timesteps / n, extra = num_timesteps % n;
  std::set<int64_t> all;
  int64_t start = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t size = size_per + (i < extra ? 1 : 0);
    const int64_t count = sections[i];
    if (count < 1 || size < count) {
      throw Error("timestep respacing: cannot divide a section of " + std::to_string(size) +
                  " steps into " + std::to_string(count));
    }
    const double stride =
        count <= 1 ? 1.0 : static_cast<double>(size - 1) / static_cast<double>(count - 1);
    double cur = 0.0;
    for (int64_t k = 0; k < count; ++k) {
      all.insert(start + static_cast<int64_t>(std::nearbyint(cur)));  // Python round: half to even
      cur += stride;
    }
    start += size;
  }
  return {all.begin(), all.end()};
}

std::vector<int64_t> drop_low_signal_steps(const at::Tensor& base_betas, std::vector<int64_t> use,
                                           double min_alpha_bar) {
  if (!(min_alpha_bar >= 0 && min_alpha_bar < 1))
    throw Error("diffusion: the lowest sampled alpha_bar must be in [0, 1)");
  const at::Tensor abar_t = (1 - base_betas.to(at::kDouble).to(at::kCPU)).cumprod(0).contiguous();
  const auto abar = abar_t.accessor<double, 1>();
  std::vector<int64_t> kept;
  for (const int64_t t : use) {
    if (t < 0 || t >= abar_t.size(0)) throw Error("diffusion: respaced timestep out of range");
    if (kept.empty() || abar[t] >= min_alpha_bar) kept.push_back(t);
  }
  return kept;
}

GaussianDiffusion::GaussianDiffusion(const at::Tensor& base_betas, std::vector<int64_t> use) {
  const at::Tensor base = base_betas.to(at::kDouble).to(at::kCPU).contiguous();
  const int64_t T0 = base.size(0);
  if (use.empty()) {
    for (int64_t i = 0; i < T0; ++i) use.push_back(i);
  }
  // Respaced betas: 1 - abar_i / abar_prev over the kept steps.
  const at::Tensor base_abar = (1 - base).cumprod(0);
  const auto abar = base_abar.accessor<double, 1>();
  std::vector<double> betas;
  double last = 1.0;
  std::set<int64_t> keep(use.begin(), use.end());
  for (int64_t i = 0; i < T0; ++i) {
    if (keep.count(i)) {
      betas.push_back(1 - abar[i] / last);
      last = abar[i];
      timestep_map_.push_back(i);
    }
  }
  if (timestep_map_.size() != keep.size()) throw Error("diffusion: respaced timestep out of range");
  map_tensor_ = at::tensor(timestep_map_, at::kLong);
  betas_ = at::tensor(betas, at::kDouble);
  const at::Tensor alphas = 1 - betas_;
  alphas_cumprod_ = alphas.cumprod(0);
  const at::Tensor prev =
      at::cat({at::ones({1}, at::kDouble), alphas_cumprod_.narrow(0, 0, num_timesteps() - 1)});
  log_betas_ = betas_.log();
  sqrt_alphas_cumprod_ = alphas_cumprod_.sqrt();
  sqrt_one_minus_alphas_cumprod_ = (1 - alphas_cumprod_).sqrt();
  sqrt_recip_alphas_cumprod_ = (1 / alphas_cumprod_).sqrt();
  sqrt_recipm1_alphas_cumprod_ = (1 / alphas_cumprod_ - 1).sqrt();
  posterior_variance_ = betas_ * (1 - prev) / (1 - alphas_cumprod_);
  // log of the posterior variance, with the t = 0 entry (zero) replaced by the t = 1 one.
  posterior_log_variance_clipped_ =
      num_timesteps() > 1 ? at::cat({posterior_variance_.narrow(0, 1, 1),
                                     posterior_variance_.narrow(0, 1, num_timesteps() - 1)})
                                .log()
                          : at::empty({0}, at::kDouble);
  posterior_mean_coef1_ = betas_ * prev.sqrt() / (1 - alphas_cumprod_);
  posterior_mean_coef2_ = (1 - prev) * alphas.sqrt() / (1 - alphas_cumprod_);
}

GaussianDiffusion GaussianDiffusion::create(BetaSchedule schedule, int64_t steps,
                                            const std::string& respacing, double min_alpha_bar) {
  const at::Tensor betas = beta_schedule(schedule, steps);
  std::vector<int64_t> use = space_timesteps(steps, respacing);
  if (min_alpha_bar > 0) use = drop_low_signal_steps(betas, std::move(use), min_alpha_bar);
  return GaussianDiffusion(betas, std::move(use));
}

at::Tensor GaussianDiffusion::extract(const at::Tensor& arr, const at::Tensor& t,
                                      const at::Tensor& like) const {
  at::Tensor v = arr.index_select(0, t.to(at::kCPU).to(at::kLong)).to(at::kFloat).to(like.device());
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = t.size(0);
  return v.view(shape);
}

at::Tensor GaussianDiffusion::original_t(const at::Tensor& t) const {
  return map_tensor_.to(t.device()).index_select(0, t.to(at::kLong));
}

at::Tensor GaussianDiffusion::snr(const at::Tensor& t) const {
  const at::Tensor abar = alphas_cumprod_.index_select(0, t.to(at::kCPU).to(at::kLong));  // [B]
  return (abar / (1.0 - abar)).to(at::kFloat).to(t.device());
}

at::Tensor GaussianDiffusion::q_sample(const at::Tensor& x_start, const at::Tensor& t,
                                       const at::Tensor& noise) const {
  return extract(sqrt_alphas_cumprod_, t, x_start) * x_start +
         extract(sqrt_one_minus_alphas_cumprod_, t, x_start) * noise;
}

GaussianDiffusion::Posterior GaussianDiffusion::q_posterior(const at::Tensor& x_start,
                                                            const at::Tensor& x_t,
                                                            const at::Tensor& t) const {
  Posterior p;
  p.mean = extract(posterior_mean_coef1_, t, x_t) * x_start +
           extract(posterior_mean_coef2_, t, x_t) * x_t;
  p.variance = extract(posterior_variance_, t, x_t);
  p.log_variance = extract(posterior_log_variance_clipped_, t, x_t);
  return p;
}

GaussianDiffusion::MeanVariance GaussianDiffusion::p_mean_variance(const Model& model,
                                                                   const at::Tensor& x,
                                                                   const at::Tensor& t,
                                                                   double clip) const {
  const int64_t C = x.size(1);
  const at::Tensor out = model(x, original_t(t));  // [B, 2C, ...]
  if (out.size(1) != 2 * C) {
    throw Error("diffusion: the model must return 2 x " + std::to_string(C) +
                " channels (epsilon and variance), got " + std::to_string(out.size(1)));
  }
  const at::Tensor eps = out.narrow(1, 0, C), var_values = out.narrow(1, C, C);
  MeanVariance r;
  // Learned range: interpolate the log variance between the posterior's and beta_t's.
  const at::Tensor min_log = extract(posterior_log_variance_clipped_, t, x);
  const at::Tensor max_log = extract(log_betas_, t, x);
  const at::Tensor frac = (var_values + 1) / 2;
  r.log_variance = frac * max_log + (1 - frac) * min_log;
  r.variance = r.log_variance.exp();
  r.pred_xstart = extract(sqrt_recip_alphas_cumprod_, t, x) * x -
                  extract(sqrt_recipm1_alphas_cumprod_, t, x) * eps;
  if (clip > 0) r.pred_xstart = r.pred_xstart.clamp(-clip, clip);
  r.mean = q_posterior(r.pred_xstart, x, t).mean;
  return r;
}

at::Tensor normal_kl(const at::Tensor& mean1, const at::Tensor& logvar1, const at::Tensor& mean2,
                     const at::Tensor& logvar2) {
  return 0.5 * (-1.0 + logvar2 - logvar1 + (logvar1 - logvar2).exp() +
                (mean1 - mean2).pow(2) * (-logvar2).exp());
}

namespace {
at::Tensor approx_standard_normal_cdf(const at::Tensor& x) {
  return 0.5 * (1.0 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}
at::Tensor mean_flat(const at::Tensor& x) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < x.dim(); ++d) dims.push_back(d);
  return dims.empty() ? x : x.mean(dims);
}
}  // namespace

at::Tensor discretized_gaussian_log_likelihood(const at::Tensor& x, const at::Tensor& means,
                                               const at::Tensor& log_scales) {
  const at::Tensor centered = x - means;
  const at::Tensor inv_stdv = (-log_scales).exp();
  const at::Tensor cdf_plus = approx_standard_normal_cdf(inv_stdv * (centered + 1.0 / 255.0));
  const at::Tensor cdf_min = approx_standard_normal_cdf(inv_stdv * (centered - 1.0 / 255.0));
  const at::Tensor log_cdf_plus = cdf_plus.clamp_min(1e-12).log();
  const at::Tensor log_one_minus_cdf_min = (1.0 - cdf_min).clamp_min(1e-12).log();
  const at::Tensor log_delta = (cdf_plus - cdf_min).clamp_min(1e-12).log();
  return at::where(x < -0.999, log_cdf_plus,
                   at::where(x > 0.999, log_one_minus_cdf_min, log_delta));
}

GaussianDiffusion::Losses GaussianDiffusion::training_losses(const Model& model,
                                                             const at::Tensor& x_start,
                                                             const at::Tensor& t,
                                                             const at::Tensor& noise) const {
  const int64_t C = x_start.size(1);
  const at::Tensor x_t = q_sample(x_start, t, noise);
  const at::Tensor out = model(x_t, original_t(t));  // [B, 2C]
  const at::Tensor eps = out.narrow(1, 0, C), var_values = out.narrow(1, C, C);
  // The variational bound trains only the variance: the mean comes from a detached epsilon.
  const at::Tensor frozen = at::cat({eps.detach(), var_values}, 1);
  const MeanVariance p =
      p_mean_variance([&](const at::Tensor&, const at::Tensor&) { return frozen; }, x_t, t, 0.0);
  const Posterior q = q_posterior(x_start, x_t, t);
  const at::Tensor kl =
      mean_flat(normal_kl(q.mean, q.log_variance, p.mean, p.log_variance)) / std::log(2.0);
  const at::Tensor nll =
      -mean_flat(discretized_gaussian_log_likelihood(x_start, p.mean, 0.5 * p.log_variance)) /
      std::log(2.0);
  Losses l;
  l.vb = at::where(t.to(kl.device()) == 0, nll, kl);
  l.mse = mean_flat((noise - eps).pow(2));
  l.loss = l.mse + l.vb;
  return l;
}

at::Tensor GaussianDiffusion::p_sample_loop(const Model& model, const at::Tensor& noise,
                                            double temperature, double clip,
                                            std::optional<at::Generator> generator) const {
  at::Tensor x = noise;
  const int64_t B = noise.size(0);
  for (int64_t i = num_timesteps() - 1; i >= 0; --i) {
    const at::Tensor t = at::full({B}, i, noise.options().dtype(at::kLong));
    const MeanVariance p = p_mean_variance(model, x, t, clip);
    if (i == 0) {
      x = p.mean;
      break;
    }
    const at::Tensor z =
        generator ? at::randn(x.sizes(), *generator, x.options().device(at::kCPU)).to(x.device())
                  : at::randn_like(x);
    x = p.mean + (0.5 * p.log_variance).exp() * z * temperature;
  }
  return x;
}

}  // namespace setok::diffusion
