#include "setok/dist/ddp_reducer.h"

#include <algorithm>
#include <unordered_map>

#include <torch/csrc/distributed/c10d/reducer.hpp>

#include "process_group_impl.h"
#include "setok/runtime/error.h"

namespace setok::dist {

struct DdpReducer::Impl {
  std::shared_ptr<ProcessGroup> group;
  std::unique_ptr<c10d::Reducer> reducer;
};

DdpReducer::DdpReducer(std::shared_ptr<ProcessGroup> group, const std::vector<at::Tensor>& params,
                       double bucket_mb)
    : impl_(std::make_unique<Impl>()) {
  if (!group) throw Error("DDP reducer: no process group");
  if (params.empty()) throw Error("DDP reducer: no parameter to synchronise");
  impl_->group = std::move(group);
  const auto cap = static_cast<size_t>(bucket_mb * 1024.0 * 1024.0);
  // As PyTorch's DDP: a small first bucket (its all-reduce starts early in the backward pass),
  // then buckets of the cap, in reverse parameter order (roughly the order gradients arrive).
  const size_t first_cap = std::min<size_t>(cap, 1024 * 1024);
  const std::vector<bool> sparse(params.size(), false);
  auto [buckets, limits] =
      c10d::compute_bucket_assignment_by_size(params, {first_cap, cap}, sparse);
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  ProcessGroup::Impl& pg = impl_->group->internals();
  try {
    impl_->reducer = std::make_unique<c10d::Reducer>(
        params, std::move(buckets), std::move(limits),
        c10d_compat::reducer_group(pg.group, pg.store, pg.rank, pg.world, pg.device.type(),
                                   pg.backend == "nccl"),
        sparse, static_cast<int64_t>(cap), /*find_unused_parameters=*/true,
        /*gradient_as_bucket_view=*/false, std::unordered_map<size_t, std::string>{},
        static_cast<int64_t>(first_cap));
  } catch (const std::exception& e) {
    throw Error("DDP reducer: c10d::Reducer refused the parameters: " + std::string(e.what()));
  }
}

namespace {

// The Reducer's all-reduces finish inside autograd, so a rank that died surfaces as the
// transport's own exception out of backward(); anything else (out of memory, a NaN check) is not
// about the other ranks and passes through unchanged.
bool is_transport_failure(const std::string& message) {
  for (const char* mark : {"gloo", "Gloo", "NCCL", "nccl", "Connection", "Timed out", "timed out"})
    if (message.find(mark) != std::string::npos) return true;
  return false;
}

}  // namespace

void DdpReducer::backward(const at::Tensor& loss) {
  impl_->reducer->prepare_for_backward({loss});
  try {
    loss.backward();
  } catch (const std::exception& e) {
    if (!is_transport_failure(e.what())) throw;
    throw impl_->group->internals().collective_failure(
        "the gradient all-reduce of the backward pass", e);
  }
}

DdpReducer::~DdpReducer() = default;

}  // namespace setok::dist
