#include "setok/data/sampler.h"

#include <cmath>
#include <random>

#include "setok/runtime/error.h"

namespace setok::data {

namespace {
uint64_t mix_order(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x3C6EF372FE94F82AULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Fisher-Yates with a portable index draw.
void shuffle(std::vector<int64_t>& v, uint64_t seed) {
  std::mt19937_64 engine(seed);
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(engine() % i);
    std::swap(v[i - 1], v[j]);
  }
}
}  // namespace

std::vector<MixtureItem> mixture_items(const std::vector<int64_t>& sizes,
                                       const std::vector<double>& multiples, uint64_t seed,
                                       int64_t epoch) {
  if (sizes.size() != multiples.size()) throw Error("mixture: one multiplier per dataset");
  std::vector<MixtureItem> out;
  for (size_t d = 0; d < sizes.size(); ++d) {
    const double m = multiples[d];
    if (!(m >= 0)) throw Error("mixture: multipliers must be >= 0");
    const auto whole = static_cast<int64_t>(std::floor(m));
    for (int64_t r = 0; r < whole; ++r) {
      for (int64_t i = 0; i < sizes[d]; ++i) out.push_back({static_cast<int32_t>(d), i});
    }
    const auto extra = static_cast<int64_t>(
        std::llround((m - static_cast<double>(whole)) * static_cast<double>(sizes[d])));
    if (extra > 0) {
      std::vector<int64_t> pick =
          epoch_order(sizes[d], mix_order(seed, 0xD15EA5E + d), epoch, true);
      pick.resize(static_cast<size_t>(extra));
      std::sort(pick.begin(), pick.end());
      for (int64_t i : pick) out.push_back({static_cast<int32_t>(d), i});
    }
  }
  return out;
}

std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool do_shuffle) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  if (do_shuffle) shuffle(order, mix_order(seed, static_cast<uint64_t>(epoch)));
  return order;
}

std::vector<int64_t> rank_shard(const std::vector<int64_t>& order, int rank, int world) {
  if (world < 1 || rank < 0 || rank >= world) {
    throw Error("sampler: rank " + std::to_string(rank) + " outside world size " +
                std::to_string(world));
  }
  std::vector<int64_t> out;
  for (size_t i = static_cast<size_t>(rank); i < order.size(); i += static_cast<size_t>(world)) {
    out.push_back(order[i]);
  }
  return out;
}

}  // namespace setok::data
