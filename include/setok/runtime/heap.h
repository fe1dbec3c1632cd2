#pragma once
// glibc's allocator, tuned for tensor work. By default glibc serves every block above 128 KiB
// (then a dynamic threshold) with its own mmap and gives freed heap tops back to the kernel, so
// a training step that frees and re-allocates the same activations pays for fresh pages every
// time: on the 2-core VM the tiny stage 1 spent a third of its time in page faults (perf) and
// ran 1.6-1.8 steps/s instead of 2.7 (docs/benchmarks.md, "CPU heap"). The apps therefore keep
// blocks up to 32 MiB on the heap and freed memory in the process, as jemalloc/tcmalloc-backed
// PyTorch setups do. The price: the process keeps its peak heap until it exits.
#include <functional>

namespace setok::runtime {

// Whether to tune: not when the user set glibc's malloc knobs (GLIBC_TUNABLES with
// glibc.malloc.*, or MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_), nor
// when SETOK_DEFAULT_MALLOC=1. `getenv` is the process environment by default.
bool heap_tuning_wanted(const std::function<const char*(const char*)>& getenv = {});

// Applies the tuning when wanted and the C library is glibc; true when it did. Run before the
// first tensor (run_app does): the settings apply to blocks allocated later.
bool tune_heap_for_tensors();

}  // namespace setok::runtime
