#pragma once
// One seed for the whole run. seed_all() seeds torch's default CPU and CUDA generators; every
// generator of ours (data shuffling, clustering tie-break noise, diffusion sampling, ...) is
// derived from the same seed plus a stream name, so streams are independent of each other and
// of the order in which they are created.
#include <cstdint>
#include <random>
#include <string_view>

#include <ATen/core/Generator.h>

namespace setok::runtime {

// Seeds torch (CPU, and every CUDA device when present) and sets the global seed used by
// derive_seed(). Call once at start-up (apps do this from the config's runtime.seed).
void seed_all(uint64_t seed);

// The seed last given to seed_all() (0 before any call).
uint64_t global_seed();

// A 64-bit seed for a named stream: a hash of (global seed, stream, index). Stable across
// platforms and runs.
uint64_t derive_seed(std::string_view stream, uint64_t index = 0);

// A fresh torch CPU generator seeded with derive_seed(stream, index).
at::Generator make_cpu_generator(std::string_view stream, uint64_t index = 0);

// A host-side engine for the same stream (shuffles, host sampling).
std::mt19937_64 make_host_engine(std::string_view stream, uint64_t index = 0);

}  // namespace setok::runtime
