#pragma once
// Stand-in for a LibTorch 1.13 header that Debian's libtorch-dev does not ship, included by
// torch/csrc/distributed/c10d/reducer.hpp. The Reducer's declaration only names two of its
// types: the gradient callback alias (checked by a static_assert against its own) and the
// shared pointer to a distributed-autograd context it holds for RPC, which a C++ trainer never
// creates. Declaring those two is enough; nothing of the real class is used or constructed here.
// Only on the include path where the real header is missing (src/CMakeLists.txt).
#include <functional>
#include <memory>

#include <ATen/core/Tensor.h>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
