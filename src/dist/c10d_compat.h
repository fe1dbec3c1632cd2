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
