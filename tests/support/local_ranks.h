#pragma once
// Runs a function as every rank of a small world inside this process, one thread per rank, over
// loopback (Gloo on the CPU): collectives and distributed losses tested without launching
// processes. Every rank's exception is reported as a test failure naming the rank.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "free_port.h"
#include "setok/dist/process_group.h"

namespace setok::test {

// Skips a test that needs Gloo in a build without it (against a PyTorch wheel's LibTorch).
#define SETOK_SKIP_WITHOUT_GLOO()                                                            \
  do {                                                                                       \
    if (!::setok::dist::ProcessGroup::has_gloo())                                            \
      GTEST_SKIP() << "this build's LibTorch has no Gloo process group (a PyTorch wheel's)"; \
  } while (0)

inline void on_ranks(int world, const std::function<void(dist::ProcessGroup&)>& fn,
                     const c10::Device& device = c10::Device(c10::kCPU),
                     const std::string& backend = "gloo") {
  const int port = free_port();
  std::vector<std::string> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        dist::DistEnv env;
        env.rank = env.local_rank = r;
        env.world = env.local_world = world;
        env.master_port = port;
        dist::GroupOptions o;
        o.backend = backend;
        o.timeout_s = 60;
        const auto group = dist::ProcessGroup::create(env, device, o);
        fn(*group);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < world; ++r) EXPECT_EQ(errors[static_cast<size_t>(r)], "") << "rank " << r;
}

}  // namespace setok::test
