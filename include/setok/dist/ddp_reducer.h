#pragma once
// c10d's DDP engine (c10d::Reducer, the machinery behind PyTorch's DistributedDataParallel)
// over one optimizer's parameters: autograd hooks on the parameters' gradient accumulators fill
// flat buckets during the backward pass, and each full bucket's all-reduce starts while the rest
// of the backward still runs; when backward returns, every gradient holds the average over the
// ranks. Unused parameters are found by walking the loss's graph (find_unused_parameters): a
// parameter that no rank used keeps its gradient, one that some ranks used is averaged with
// zeros from the others.
//
// Driven on LibTorch 1.13 (Debian), where reducer.hpp needs a compat header for a
// distributed-autograd include it does not ship (src/dist/compat/), and on 2.x, where the Reducer
// takes a c10d::ProcessGroup front over the group's Backend (dist/c10d_compat.h).
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/dist/process_group.h"

namespace setok::dist {

class DdpReducer {
 public:
  // `params`: the parameters that train, the same list in the same order on every rank.
  DdpReducer(std::shared_ptr<ProcessGroup> group, const std::vector<at::Tensor>& params,
             double bucket_mb);
  ~DdpReducer();
  DdpReducer(const DdpReducer&) = delete;
  DdpReducer& operator=(const DdpReducer&) = delete;

  // Backward of `loss`, after which the gradients it gives (plus whatever earlier backward
  // passes accumulated into the parameters) hold the average over the ranks. A plain
  // loss.backward() only accumulates locally (DDP's no_sync). A rank that died or stopped
  // answering during the all-reduces gives the same error as any other failed collective.
  void backward(const at::Tensor& loss);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace setok::dist
