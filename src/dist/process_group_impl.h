#pragma once
// ProcessGroup's insides, shared by the dist/ sources that talk to c10d directly (the process
// group itself and the DDP reducer). Not part of the public headers.
#include <chrono>
#include <string>

#include <c10/core/Device.h>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include "c10d_compat.h"
#include "setok/dist/process_group.h"
#include "setok/runtime/error.h"

namespace setok::dist {

inline std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

struct ProcessGroup::Impl {
  int rank = 0, world = 1;
  std::string backend;
  double timeout_s = 300;
  c10::Device device = c10::Device(c10::kCPU);
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<C10dBackend> group;

  // The one error a failed collective becomes, wherever it surfaced (a wait here, or the
  // Reducer's all-reduce inside a backward pass).
  Error collective_failure(const std::string& what, const std::exception& cause) const {
    std::string detail = cause.what();
    if (const size_t nl = detail.find('\n'); nl != std::string::npos) detail.resize(nl);
    return Error("rank " + std::to_string(rank) + " of " + std::to_string(world) + ": " + what +
                 " failed: another rank exited or stopped answering within dist.timeout_s = " +
                 std::to_string(static_cast<int64_t>(timeout_s)) + " s (" + detail + ")");
  }

  // Runs a collective and waits; any failure becomes one clear error.
  template <typename Launch>
  void run(const char* what, Launch&& launch) {
    try {
      c10::intrusive_ptr<c10d::Work> work = launch();
      work->wait(to_ms(timeout_s));
    } catch (const std::exception& e) {
      throw collective_failure(what, e);
    }
  }
};

}  // namespace setok::dist
