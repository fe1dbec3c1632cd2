#include "setok/mllm/slot_masking.h"

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::mllm {

namespace {

// A portable engine for (seed, sample, image): std distributions differ between standard
// libraries, so uniforms and normals are made here from raw 64-bit draws.
std::mt19937_64 engine(uint64_t seed, uint64_t sample, uint64_t image) {
  const uint64_t mixed = runtime::stable_hash("mllm.slot_mask." + std::to_string(seed) + "." +
                                              std::to_string(sample) + "." + std::to_string(image));
  return std::mt19937_64(mixed);
}

double uniform(std::mt19937_64& e) {  // (0, 1)
  return (static_cast<double>(e() >> 11) + 0.5) * 0x1.0p-53;
}

double normal(std::mt19937_64& e) {  // Box-Muller
  const double u1 = uniform(e), u2 = uniform(e);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace

double draw_mask_ratio(const SlotMaskingOptions& o, uint64_t seed, uint64_t sample,
                       uint64_t image) {
  if (!(o.mask_ratio_min > 0 && o.mask_ratio_min <= 1) || !(o.std > 0))
    throw Error("slot masking: need 0 < mask_ratio_min <= 1 and std > 0");
  std::mt19937_64 e = engine(seed, sample, image);
  // Rejection from N(1, std) into [min, 1]: at MAR's settings 38 % of draws are accepted.
  for (int tries = 0; tries < 10000; ++tries) {
    const double r = 1.0 + o.std * normal(e);
    if (r >= o.mask_ratio_min && r <= 1.0) return r;
  }
  return 1.0;  // unreachable in practice
}

at::Tensor hidden_slots(int64_t slots, const SlotMaskingOptions& o, uint64_t seed, uint64_t sample,
                        uint64_t image) {
  if (slots < 1) throw Error("slot masking: an image needs at least one slot");
  const double r = draw_mask_ratio(o, seed, sample, image);
  const auto hidden = static_cast<int64_t>(std::ceil(static_cast<double>(slots) * r));
  std::mt19937_64 e = engine(seed, sample, image + 0x9E3779B97F4A7C15ULL);
  std::vector<int64_t> order(static_cast<size_t>(slots));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = slots - 1; i > 0; --i) {  // Fisher-Yates with our own draws
    const auto j = static_cast<int64_t>(e() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  at::Tensor mask = at::zeros({slots}, at::kBool);
  for (int64_t k = 0; k < std::min(hidden, slots); ++k) mask[order[static_cast<size_t>(k)]] = true;
  return mask;
}

at::Tensor slot_diffusion_seeds(int64_t slots, uint64_t seed, uint64_t sample, uint64_t image) {
  const std::string stem = "mllm.slot_diffusion." + std::to_string(seed) + "." +
                           std::to_string(sample) + "." + std::to_string(image) + ".";
  at::Tensor out = at::empty({slots}, at::kLong);  // [L]
  auto seeds = out.accessor<int64_t, 1>();
  for (int64_t j = 0; j < slots; ++j) {
    seeds[j] = static_cast<int64_t>(runtime::stable_hash(stem + std::to_string(j)));
  }
  return out;
}

}  // namespace setok::mllm
