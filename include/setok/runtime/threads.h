#pragma once
// ATen's intra-op thread count defaults to 1 on Debian's build: every app sets it from
// `--threads` (0 = all cores).

namespace setok::runtime {

// Number of hardware threads (at least 1).
int hardware_threads();

// Sets ATen's intra-op thread pool size; `threads <= 0` means hardware_threads(). Returns the
// number actually set.
int set_num_threads(int threads);

}  // namespace setok::runtime
