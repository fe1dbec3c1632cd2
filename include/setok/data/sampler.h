#pragma once
// What a rank reads in an epoch: the mixture's items (datasets repeated by their multipliers),
// shuffled deterministically per (seed, epoch), then strided across ranks so every item is read
// exactly once per epoch over all ranks.
#include <cstdint>
#include <vector>

namespace setok::data {

struct MixtureItem {
  int32_t source = 0;  // dataset index in the mixture
  int64_t index = 0;   // record index in that dataset
};

// Each dataset's records floor(m) times, plus a per-epoch deterministic subset of
// round((m - floor(m)) * size) records for fractional multipliers. Ordered by dataset.
std::vector<MixtureItem> mixture_items(const std::vector<int64_t>& sizes,
                                       const std::vector<double>& multiples, uint64_t seed,
                                       int64_t epoch);

// A permutation of [0, n) from (seed, epoch); the identity when !shuffle. Portable: the same on
// every platform and standard library.
std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, int64_t epoch, bool shuffle);

// order[rank], order[rank + world], ...
std::vector<int64_t> rank_shard(const std::vector<int64_t>& order, int rank, int world);

}  // namespace setok::data
