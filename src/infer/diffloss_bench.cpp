#include "setok/infer/diffloss_bench.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/diffusion/diffloss.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/runtime/timing.h"

namespace setok::infer {

DiffLossBenchResult bench_diffloss(const c10::Device& device, const DiffLossBenchOptions& o) {
  if (o.tokens < 1 || o.iters < 1 || o.warmup < 0)
    throw Error("bench: tokens and iters must be >= 1");
  diffusion::DiffLossOptions d;
  d.target_channels = o.target_channels;
  d.z_channels = o.z_channels;
  d.width = o.width;
  d.depth = o.depth;
  d.num_sampling_steps = o.steps;
  diffusion::DiffLoss dl(d);
  {
    // Non-zero weights (a fresh DiffLoss outputs zeros, which would not be representative).
    at::NoGradGuard g;
    for (auto& p : dl->parameters()) p.normal_(0, 0.02);
  }
  dl->to(device);
  const at::Tensor z = at::randn({o.tokens, o.z_channels}).to(device);
  const at::Tensor x = at::randn({o.tokens, o.target_channels}).to(device);
  auto gen = runtime::make_cpu_generator("bench.diffloss");
  auto timed = [&](const std::function<void()>& fn) {
    return runtime::median_ms(device, o.warmup, o.iters, fn);
  };
  DiffLossBenchResult r;
  r.device = device.str();
  r.options = o;
  r.sampling_steps = dl->gen_diffusion().num_timesteps();
  dl->eval();
  r.sample_ms = timed([&] {
    at::NoGradGuard g;
    dl->sample(z, 1.0, 1.0, gen);
  });
  dl->train();
  r.train_step_ms = timed([&] {
    dl->zero_grad();
    dl->forward(x, z, {}, gen).backward();
  });
  return r;
}

io::Json DiffLossBenchResult::to_json() const {
  return {{"device", device},
          {"tokens", options.tokens},
          {"target_channels", options.target_channels},
          {"z_channels", options.z_channels},
          {"width", options.width},
          {"depth", options.depth},
          {"sampling_steps", sampling_steps},
          {"sample_ms", sample_ms},
          {"train_step_ms", train_step_ms}};
}

std::string DiffLossBenchResult::to_text() const {
  return fmt::format(
      "diffloss bench on {}: {} tokens, target {}, condition {}, width {}, depth {}\n"
      "  sampling ({} steps): {:.1f} ms    training loss forward+backward: {:.2f} ms\n",
      device, options.tokens, options.target_channels, options.z_channels, options.width,
      options.depth, sampling_steps, sample_ms, train_step_ms);
}

}  // namespace setok::infer
