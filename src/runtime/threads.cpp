#include "setok/runtime/threads.h"

#include <thread>

#include <ATen/Parallel.h>

namespace setok::runtime {

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int set_num_threads(int threads) {
  const int n = threads > 0 ? threads : hardware_threads();
  at::set_num_threads(n);
  return at::get_num_threads();
}

}  // namespace setok::runtime
