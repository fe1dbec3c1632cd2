#include "setok/runtime/heap.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace setok::runtime {
namespace {

// A fake environment for heap_tuning_wanted.
std::function<const char*(const char*)> heap_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(Heap, UserSettingsWin) {
  EXPECT_TRUE(heap_tuning_wanted(heap_env({})));
  EXPECT_TRUE(heap_tuning_wanted(heap_env({{"GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2"}})));
  EXPECT_FALSE(heap_tuning_wanted(heap_env({{"GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1"}})));
  EXPECT_FALSE(heap_tuning_wanted(heap_env({{"MALLOC_TOP_PAD_", "0"}})));
  EXPECT_FALSE(heap_tuning_wanted(heap_env({{"MALLOC_MMAP_THRESHOLD_", "131072"}})));
  EXPECT_FALSE(heap_tuning_wanted(heap_env({{"SETOK_DEFAULT_MALLOC", "1"}})));
  EXPECT_TRUE(heap_tuning_wanted(heap_env({{"SETOK_DEFAULT_MALLOC", "0"}})));
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
TEST(Heap, TunedHeapServesAndKeepsLargeBlocks) {
  if (!heap_tuning_wanted()) GTEST_SKIP() << "the environment sets glibc's malloc knobs";
  ASSERT_TRUE(tune_heap_for_tensors());
  const size_t n = 16u << 20;
  const size_t mapped_before = mallinfo2().hblkhd;  // bytes in glibc's own mmapped blocks
  char* volatile block = static_cast<char*>(std::malloc(n));
  std::memset(block, 1, n);
  // From the heap (glibc starts at a 128 KiB threshold and would have mapped it) ...
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before);
  std::free(block);
  // ... and still there after the free, for the next step's activations.
  EXPECT_GE(mallinfo2().arena, n);
}
#endif

}  // namespace
}  // namespace setok::runtime
