#include "setok/runtime/seed.h"

#include <atomic>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>

namespace setok::runtime {

namespace {
std::atomic<uint64_t> g_seed{0};

// SplitMix64 finaliser: a strong 64-bit mixer, so nearby seeds give unrelated streams.
uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// FNV-1a over the stream name (defined byte-wise, so identical on every platform).
uint64_t hash_name(std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}
}  // namespace

void seed_all(uint64_t seed) {
  g_seed.store(seed);
  at::manual_seed(seed);  // CPU, and CUDA devices when they are initialised
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
}

uint64_t global_seed() {
  return g_seed.load();
}

uint64_t derive_seed(std::string_view stream, uint64_t index) {
  return mix64(mix64(g_seed.load() ^ hash_name(stream)) + index);
}

at::Generator make_cpu_generator(std::string_view stream, uint64_t index) {
  return at::make_generator<at::CPUGeneratorImpl>(derive_seed(stream, index));
}

std::mt19937_64 make_host_engine(std::string_view stream, uint64_t index) {
  return std::mt19937_64(derive_seed(stream, index));
}

}  // namespace setok::runtime
