#pragma once
// Data-parallel gradient averaging for one optimizer's parameters: flat buckets of about
// `bucket_mb` MiB, one c10d all-reduce per bucket, each gradient divided by the world size (the
// average PyTorch's DDP computes). Called once per optimizer step, after every micro-batch's
// backward, so gradient accumulation never communicates between micro-steps (DDP's no_sync).
//
// Unused parameters: each bucket carries one "has a gradient" flag per parameter, reduced with
// the gradients. A parameter no rank gave a gradient keeps none (AdamW skips it, as in one
// process); one that some ranks left out gets the average with zeros from those ranks (DDP's
// find_unused_parameters semantics), so frozen or conditional parts never desynchronise the
// buckets.
#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/dist/process_group.h"

namespace setok::dist {

class GradientSync {
 public:
  GradientSync(std::shared_ptr<ProcessGroup> group, double bucket_mb = 25.0);
  // Averages the gradients of `params` (the same list, in the same order, on every rank).
  void operator()(const std::vector<at::Tensor>& params) const;

 private:
  std::shared_ptr<ProcessGroup> group_;
  int64_t bucket_bytes_;
};

// Copies rank 0's parameters and buffers to every rank (called once before training) so every
// rank starts from the same weights whatever its own initialisation drew.
void broadcast_tensors(ProcessGroup& group, const std::vector<at::Tensor>& tensors);

}  // namespace setok::dist
