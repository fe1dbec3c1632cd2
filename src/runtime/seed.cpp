#include "setok/runtime/seed.h"

#include <atomic>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/core/Tensor.h>
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

}  // namespace

uint64_t stable_hash(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

void seed_all(uint64_t seed) {
  g_seed.store(seed);
  at::manual_seed(seed);  // CPU, and CUDA devices when they are initialised
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
}

uint64_t global_seed() {
  return g_seed.load();
}

uint64_t derive_seed(std::string_view stream, uint64_t index) {
  return mix64(mix64(g_seed.load() ^ stable_hash(stream)) + index);
}

at::Generator make_cpu_generator(std::string_view stream, uint64_t index) {
  return at::make_generator<at::CPUGeneratorImpl>(derive_seed(stream, index));
}

std::mt19937_64 make_host_engine(std::string_view stream, uint64_t index) {
  return std::mt19937_64(derive_seed(stream, index));
}

GeneratorScope::GeneratorScope(std::vector<at::Generator> generators, std::string_view stream,
                               uint64_t index)
    : generators_(std::move(generators)) {
  for (size_t i = 0; i < generators_.size(); ++i) {
    at::Generator& g = generators_[i];
    std::lock_guard<std::mutex> lock(g.mutex());
    saved_.push_back(g.get_state());
    g.set_current_seed(derive_seed(stream, index * 1000003ULL + i));
  }
}

GeneratorScope::~GeneratorScope() {
  for (size_t i = 0; i < generators_.size(); ++i) {
    std::lock_guard<std::mutex> lock(generators_[i].mutex());
    generators_[i].set_state(saved_[i]);
  }
}

}  // namespace setok::runtime
