#include "setok/runtime/timing.h"

#include <algorithm>
#include <chrono>

#include <torch/cuda.h>

#include "setok/runtime/error.h"

namespace setok::runtime {

double median_ms(const c10::Device& device, int64_t warmup, int64_t iters,
                 const std::function<void()>& fn) {
  if (iters < 1 || warmup < 0) throw Error("benchmark: iters must be >= 1 and warmup >= 0");
  std::vector<double> ms;
  for (int64_t i = 0; i < warmup + iters; ++i) {
    if (device.is_cuda()) torch::cuda::synchronize();
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    if (device.is_cuda()) torch::cuda::synchronize();
    if (i >= warmup) {
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace setok::runtime
