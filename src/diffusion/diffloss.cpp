#include "setok/diffusion/diffloss.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "setok/runtime/error.h"

namespace setok::diffusion {

DiffLossImpl::DiffLossImpl(const DiffLossOptions& o)
    : options_(o),
      train_(GaussianDiffusion::create(parse_beta_schedule(o.noise_schedule), o.train_steps, "")),
      gen_(GaussianDiffusion::create(parse_beta_schedule(o.noise_schedule), o.train_steps,
                                     o.num_sampling_steps, o.sample_min_alpha_bar)) {
  if (o.diffusion_batch_mul < 1) throw Error("diffusion_batch_mul must be >= 1");
  if (!(o.min_snr_gamma >= 0)) throw Error("min_snr_gamma must be >= 0");
  SimpleMLPAdaLNOptions n;
  n.in_channels = o.target_channels;
  n.model_channels = o.width;
  n.out_channels = 2 * o.target_channels;  // epsilon and learned variance
  n.z_channels = o.z_channels;
  n.num_res_blocks = o.depth;
  net = register_module("net", SimpleMLPAdaLN(n));
}

void DiffLossImpl::check(const at::Tensor& z, const char* what) const {
  if (!z.defined() || z.dim() != 2 || z.size(1) != options_.z_channels) {
    throw Error(std::string("DiffLoss ") + what + ": condition must be [N, " +
                std::to_string(options_.z_channels) + "], got " +
                (z.defined() ? c10::str(z.sizes()) : "undefined"));
  }
}

GaussianDiffusion::Losses DiffLossImpl::losses(const at::Tensor& target, const at::Tensor& z,
                                               const at::Tensor& t, const at::Tensor& noise) {
  auto model = [&](const at::Tensor& x, const at::Tensor& tt) { return net->forward(x, tt, z); };
  GaussianDiffusion::Losses l = train_.training_losses(model, target, t, noise);
  if (options_.min_snr_gamma > 0) {
    const at::Tensor snr = train_.snr(t);  // [B], on t's device
    l.loss = l.mse * (snr.clamp_max(options_.min_snr_gamma) / snr) + l.vb;
  }
  return l;
}

at::Tensor DiffLossImpl::forward(const at::Tensor& target_in, const at::Tensor& z_in,
                                 const at::Tensor& mask_in, std::optional<at::Generator> gen) {
  check(z_in, "loss");
  if (!target_in.defined() || target_in.dim() != 2 || target_in.size(0) != z_in.size(0) ||
      target_in.size(1) != options_.target_channels) {
    throw Error("DiffLoss loss: target must be [" + std::to_string(z_in.size(0)) + ", " +
                std::to_string(options_.target_channels) + "], got " +
                (target_in.defined() ? c10::str(target_in.sizes()) : "undefined"));
  }
  const int64_t mul = options_.diffusion_batch_mul;
  const at::Tensor target = target_in.repeat({mul, 1});  // [N mul, C]
  const at::Tensor z = z_in.repeat({mul, 1});            // [N mul, Z]
  const int64_t N = target.size(0);
  const auto cpu_long = at::TensorOptions().dtype(at::kLong);
  const at::Tensor t = (gen ? at::randint(train_.num_timesteps(), {N}, *gen, cpu_long)
                            : at::randint(train_.num_timesteps(), {N}, cpu_long))
                           .to(target.device());
  const at::Tensor noise = (gen ? at::randn(target.sizes(), *gen, target.options().device(at::kCPU))
                                : at::randn(target.sizes(), target.options().device(at::kCPU)))
                               .to(target.device());
  // Respaced index == original step for the training diffusion (no respacing).
  const at::Tensor loss = losses(target, z, t, noise).loss;  // [N mul]
  if (!mask_in.defined()) return loss.mean();
  const at::Tensor mask = mask_in.to(loss.scalar_type()).reshape(-1).repeat({mul});
  if (mask.size(0) != N) throw Error("DiffLoss loss: mask must have one entry per row");
  return (loss * mask).sum() / mask.sum().clamp_min(1.0);
}

at::Tensor DiffLossImpl::forward_seeded(const at::Tensor& target, const at::Tensor& z,
                                        const at::Tensor& seeds) {
  check(z, "loss");
  const int64_t N = z.size(0), C = options_.target_channels, G = seeds.numel();
  if (!target.defined() || target.dim() != 2 || target.size(0) != N || target.size(1) != C) {
    throw Error("DiffLoss loss: target must be [" + std::to_string(N) + ", " + std::to_string(C) +
                "], got " + (target.defined() ? c10::str(target.sizes()) : "undefined"));
  }
  if (G == 0 || N % G != 0) {
    throw Error("DiffLoss loss: " + std::to_string(N) + " rows do not split into " +
                std::to_string(G) + " seeded groups");
  }
  const int64_t R = N / G, mul = options_.diffusion_batch_mul;
  const int64_t steps = train_.num_timesteps();
  // DiffLoss's layout: rows repeated mul times as whole blocks [mul N].
  at::Tensor t = at::empty({mul, G, R}, at::kLong), noise = at::empty({mul, G, R, C}, at::kFloat);
  const at::Tensor s = seeds.to(at::kCPU, at::kLong).contiguous();
  const int64_t* seed = s.data_ptr<int64_t>();
  for (int64_t g = 0; g < G; ++g) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed[g]));
    for (int64_t m = 0; m < mul; ++m) {
      t[m][g].copy_(at::randint(steps, {R}, gen, at::kLong));
      noise[m][g].copy_(at::randn({R, C}, gen, at::kFloat));
    }
  }
  return losses(target.repeat({mul, 1}), z.repeat({mul, 1}), t.view({-1}).to(target.device()),
                noise.view({-1, C}).to(target.device(), target.scalar_type()))
      .loss.mean();
}

at::Tensor DiffLossImpl::sample(const at::Tensor& z, double temperature, double cfg,
                                std::optional<at::Generator> gen) {
  check(z, "sample");
  const int64_t N = z.size(0), C = options_.target_channels;
  const auto opts = z.options().device(at::kCPU);
  at::Tensor noise;
  GaussianDiffusion::Model model;
  if (cfg != 1.0) {
    if (N % 2 != 0)
      throw Error("DiffLoss sample with cfg: z must hold conditional and unconditional halves");
    const at::Tensor half = gen ? at::randn({N / 2, C}, *gen, opts) : at::randn({N / 2, C}, opts);
    noise = at::cat({half, half}).to(z.device());
    model = [&](const at::Tensor& x, const at::Tensor& t) {
      return net->forward_with_cfg(x, t, z, cfg);
    };
  } else {
    noise = (gen ? at::randn({N, C}, *gen, opts) : at::randn({N, C}, opts)).to(z.device());
    model = [&](const at::Tensor& x, const at::Tensor& t) { return net->forward(x, t, z); };
  }
  return gen_.p_sample_loop(model, noise, temperature, options_.sample_clip, gen);
}

}  // namespace setok::diffusion
