#pragma once
// The c10d side of the one compat place (runtime/compat.h holds the rest): LibTorch 1.13's
// collectives live on c10d::ProcessGroup, 2.x moved them to c10d::Backend (Gloo and NCCL are
// Backends there). Both have the same allreduce / broadcast / allgather / barrier signatures,
// so the rest of dist/ talks to `C10dBackend` only.
#include <torch/version.h>

#include "setok/runtime/compat.h"

#if SETOK_TORCH_VERSION_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
namespace setok::dist {
using C10dBackend = c10d::Backend;
}
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
namespace setok::dist {
using C10dBackend = c10d::ProcessGroup;
}
#endif

// Gloo: Debian's LibTorch comes with its headers (libgloo-dev); the LibTorch inside a PyTorch
// wheel has Gloo built in but ships none of the headers c10d's ProcessGroupGloo.hpp includes, so
// a build against it has no Gloo process group (NCCL only).
#if __has_include(<gloo/algorithm.h>)
#define SETOK_HAS_GLOO 1
#else
#define SETOK_HAS_GLOO 0
#endif
