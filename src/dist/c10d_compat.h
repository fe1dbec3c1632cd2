#pragma once
// The c10d side of the one compat place (runtime/compat.h holds the rest): LibTorch 1.13's
// collectives live on c10d::ProcessGroup, 2.x moved them to c10d::Backend (Gloo and NCCL are
// Backends there, and a c10d::ProcessGroup is a front that dispatches to the Backend of each
// device type). Both have the same allreduce / broadcast / allgather / barrier signatures, so the
// rest of dist/ talks to `C10dBackend` only, and takes what differs from the functions below.
#include <torch/version.h>

#include <c10/core/DeviceType.h>
#include <c10/util/intrusive_ptr.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "setok/runtime/compat.h"

#if SETOK_TORCH_VERSION_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
namespace setok::dist {
using C10dBackend = c10d::Backend;
}
#else
namespace setok::dist {
using C10dBackend = c10d::ProcessGroup;
}
#endif

namespace setok::dist::c10d_compat {

// The store's server speaks plain TCP. 2.x (from 2.3) defaults to a libuv server, which a
// LibTorch built without libuv (Debian's) refuses at rendezvous; 1.13 has only the plain one.
inline void use_plain_tcp_store(c10d::TCPStoreOptions& options) {
#if SETOK_TORCH_VERSION_AT_LEAST(2, 3)
  options.useLibUV = false;
#else
  (void)options;
#endif
}

// The c10d::ProcessGroup that c10d::Reducer all-reduces through: on 1.13 the group itself; on
// 2.x a front over `backend` for the device type it serves (`nccl` or Gloo), which the Reducer's
// collectives dispatch to.
inline c10::intrusive_ptr<c10d::ProcessGroup> reducer_group(
    const c10::intrusive_ptr<C10dBackend>& backend, const c10::intrusive_ptr<c10d::Store>& store,
    int rank, int world, c10::DeviceType device, bool nccl) {
#if SETOK_TORCH_VERSION_AT_LEAST(2, 0)
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, world);
  const auto type =
      nccl ? c10d::ProcessGroup::BackendType::NCCL : c10d::ProcessGroup::BackendType::GLOO;
  group->setBackend(device, type, backend);
  group->setDefaultBackend(type);
  return group;
#else
  (void)store, (void)rank, (void)world, (void)device, (void)nccl;
  return backend;
#endif
}

}  // namespace setok::dist::c10d_compat

// Gloo: Debian's LibTorch comes with its headers (libgloo-dev); the LibTorch inside a PyTorch
// wheel has Gloo built in but ships none of the headers c10d's ProcessGroupGloo.hpp includes, so
// a build against it has no Gloo process group (NCCL only).
#if __has_include(<gloo/algorithm.h>)
#define SETOK_HAS_GLOO 1
#else
#define SETOK_HAS_GLOO 0
#endif
