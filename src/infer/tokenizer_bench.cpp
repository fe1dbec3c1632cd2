#include "setok/infer/tokenizer_bench.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/runtime/timing.h"

namespace setok::infer {

namespace {

// Images with structure, so clusters follow content as they would on real images: a random
// background colour and 2-6 random rectangles, in normalised [-1, 1] pixels. [B, C, S, S].
at::Tensor block_images(int64_t B, int64_t channels, int64_t size, uint64_t seed) {
  auto gen = runtime::make_cpu_generator("bench.images", seed);
  at::Tensor img = at::empty({B, channels, size, size});
  for (int64_t b = 0; b < B; ++b) {
    img[b].copy_((at::rand({channels, 1, 1}, gen) * 2 - 1).expand({channels, size, size}));
    const int64_t shapes = 2 + at::randint(5, {1}, gen).item<int64_t>();
    for (int64_t s = 0; s < shapes; ++s) {
      const at::Tensor r = at::rand({4}, gen);
      const int64_t h = 1 + static_cast<int64_t>(r[0].item<double>() * size / 2);
      const int64_t w = 1 + static_cast<int64_t>(r[1].item<double>() * size / 2);
      const int64_t y = static_cast<int64_t>(r[2].item<double>() * (size - h));
      const int64_t x = static_cast<int64_t>(r[3].item<double>() * (size - w));
      img[b].narrow(1, y, h).narrow(2, x, w).copy_(
          (at::rand({channels, 1, 1}, gen) * 2 - 1).expand({channels, h, w}));
    }
  }
  return img;
}

}  // namespace

double ModeTiming::images_per_s() const {
  return 1000.0 * static_cast<double>(batch) / (tower_ms + cluster_merge_ms);
}

double ModeTiming::cluster_merge_images_per_s(int64_t b) const {
  return 1000.0 * static_cast<double>(b) / cluster_merge_ms;
}

TokenizerBenchResult bench_tokenizer(tokenizer::SetokTokenizerImpl& tok, const c10::Device& device,
                                     const TokenizerBenchOptions& o) {
  if (o.batch < 1) throw Error("bench: batch must be >= 1");
  at::NoGradGuard no_grad;
  tok.eval();
  const auto& vc = tok.vision_tower->config();
  const at::Tensor pixels =
      block_images(o.batch, vc.num_channels, vc.image_size, o.seed).to(device);
  TokenizerBenchResult r;
  r.device = device.str();
  r.batch = o.batch;
  r.image_size = vc.image_size;
  r.patches = vc.num_patches();
  r.feature_dim = vc.hidden_size;
  const tokenizer::MergeMode saved = tok.merge_mode();
  at::Tensor features;
  const double tower_ms =
      runtime::median_ms(device, o.warmup, o.iters, [&] { features = tok.encode(pixels); });
  for (auto mode : {tokenizer::MergeMode::kBatched, tokenizer::MergeMode::kLoop}) {
    tok.set_merge_mode(mode);
    tokenizer::SetokTokens out;
    ModeTiming& t = mode == tokenizer::MergeMode::kBatched ? r.batched : r.loop;
    t.batch = o.batch;
    t.tower_ms = tower_ms;
    t.cluster_merge_ms = runtime::median_ms(device, o.warmup, o.iters, [&] {
      out = tok.forward_features(features, vc.grid(), vc.grid());
    });
    r.mean_tokens = out.clusters.counts.to(at::kDouble).mean().item<double>();
  }
  tok.set_merge_mode(saved);
  return r;
}

io::Json TokenizerBenchResult::to_json() const {
  auto mode = [&](const ModeTiming& t) {
    return io::Json{{"tower_ms", t.tower_ms},
                    {"cluster_merge_ms", t.cluster_merge_ms},
                    {"images_per_s", t.images_per_s()},
                    {"cluster_merge_images_per_s", t.cluster_merge_images_per_s(batch)}};
  };
  return {{"device", device},
          {"batch", batch},
          {"image_size", image_size},
          {"patches", patches},
          {"feature_dim", feature_dim},
          {"mean_tokens_per_image", mean_tokens},
          {"batched", mode(batched)},
          {"loop", mode(loop)},
          {"speedup", batched.images_per_s() / loop.images_per_s()},
          {"cluster_merge_speedup", loop.cluster_merge_ms / batched.cluster_merge_ms},
          {"cluster_merge_share_of_tower", batched.cluster_merge_ms / batched.tower_ms}};
}

std::string TokenizerBenchResult::to_text() const {
  std::string s = fmt::format(
      "tokenizer bench on {}: batch {}, {}x{} px, {} patches x {} features, {:.1f} tokens/image\n",
      device, batch, image_size, image_size, patches, feature_dim, mean_tokens);
  s += fmt::format("  {:<8} {:>10} {:>18} {:>12} {:>22}\n", "mode", "tower ms", "cluster+merge ms",
                   "images/s", "cluster+merge img/s");
  for (const auto* t : {&batched, &loop}) {
    s += fmt::format("  {:<8} {:>10.2f} {:>18.2f} {:>12.1f} {:>22.1f}\n",
                     t == &batched ? "batched" : "loop", t->tower_ms, t->cluster_merge_ms,
                     t->images_per_s(), t->cluster_merge_images_per_s(batch));
  }
  s += fmt::format(
      "  speedup (whole tokenizer) {:.2f}x, cluster+merge {:.2f}x; batched "
      "cluster+merge = {:.1f}% of the tower's time\n",
      batched.images_per_s() / loop.images_per_s(),
      loop.cluster_merge_ms / batched.cluster_merge_ms,
      100.0 * batched.cluster_merge_ms / batched.tower_ms);
  return s;
}

}  // namespace setok::infer
