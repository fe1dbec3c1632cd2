#pragma once
// Wall-clock timing for the benchmarks: synchronises CUDA around the timed work.
#include <functional>
#include <vector>

#include <c10/core/Device.h>

namespace setok::runtime {

// Milliseconds of `warmup + iters` calls of `fn`, the warm-up ones dropped; returns the median.
double median_ms(const c10::Device& device, int64_t warmup, int64_t iters,
                 const std::function<void()>& fn);

}  // namespace setok::runtime
