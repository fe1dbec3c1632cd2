#include "setok/runtime/heap.h"

#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace setok::runtime {

bool heap_tuning_wanted(const std::function<const char*(const char*)>& getenv) {
  const auto lookup = [&](const char* name) -> std::string {
    const char* v = getenv ? getenv(name) : std::getenv(name);
    return v ? v : "";
  };
  if (lookup("SETOK_DEFAULT_MALLOC") == "1") return false;
  if (lookup("GLIBC_TUNABLES").find("glibc.malloc.") != std::string::npos) return false;
  for (const char* knob : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"})
    if (!lookup(knob).empty()) return false;
  return true;
}

bool tune_heap_for_tensors() {
#if defined(__GLIBC__)
  if (!heap_tuning_wanted()) return false;
  constexpr int kMmapThreshold = 32 << 20;  // glibc's largest portable value
  constexpr int kTopPad = 64 << 20;         // grow the heap in steps of this much
  return mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 &&
         mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 && mallopt(M_TOP_PAD, kTopPad) == 1;
#else
  return false;
#endif
}

}  // namespace setok::runtime
