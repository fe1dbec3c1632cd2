#pragma once
// One seed for the whole run. seed_all() seeds torch's default CPU and CUDA generators; every
// generator of ours (data shuffling, clustering tie-break noise, diffusion sampling, ...) is
// derived from the same seed plus a stream name, so streams are independent of each other and
// of the order in which they are created.
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

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

// FNV-1a of a string: a 64-bit hash defined byte-wise, identical on every platform and process.
uint64_t stable_hash(std::string_view text);

// Runs a block on its own random streams: while the scope lives, each generator is reseeded with
// derive_seed(stream, index) (plus its position in the list); on exit their saved states are
// restored. Evaluation and sample sheets run inside one, so whatever they draw leaves training's
// streams untouched (training is identical whatever the evaluation period) and every evaluation
// draws the same numbers.
class GeneratorScope {
 public:
  GeneratorScope(std::vector<at::Generator> generators, std::string_view stream,
                 uint64_t index = 0);
  ~GeneratorScope();
  GeneratorScope(const GeneratorScope&) = delete;
  GeneratorScope& operator=(const GeneratorScope&) = delete;

 private:
  std::vector<at::Generator> generators_;
  std::vector<at::Tensor> saved_;
};

}  // namespace setok::runtime
