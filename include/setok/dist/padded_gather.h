#pragma once
// Gathers of tensors whose sizes differ between the ranks. The all-gather behind distributed
// contrastive losses (losses::Gather): every rank's padded tensors with this rank's own block
// keeping its autograd history, so negatives come from every rank while gradients flow through the
// local slice only (each rank's backward covers its own rows; the data-parallel average then sums
// them).
#include <utility>

#include <ATen/core/Tensor.h>

#include "setok/dist/process_group.h"

namespace setok::dist {

// x [B, K, ...] and mask [B, K] (any dtype; B equal on every rank, K may differ) ->
// ([W B, K', ...], [W B, K'] in mask's dtype) where K' is the largest K over the ranks; padding
// is zeros / false; rank r's rows at r * B.
std::pair<at::Tensor, at::Tensor> padded_all_gather(ProcessGroup& group, const at::Tensor& x,
                                                    const at::Tensor& mask);

// x [n, ...] (n may differ between the ranks, even 0; the other dims may not) -> every rank's
// rows one after the other in rank order, [sum n, ...], without autograd history. For
// reductions that need every item (evaluation statistics over a sharded set).
at::Tensor concat_over_ranks(ProcessGroup& group, const at::Tensor& x);

}  // namespace setok::dist
