#include "setok/dist/grad_sync.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::dist {

namespace {

// Parameters grouped into buckets of at most `cap` bytes, split also where the dtype or device
// changes (a flat buffer holds one of each).
std::vector<std::vector<size_t>> make_buckets(const std::vector<at::Tensor>& params, int64_t cap) {
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& p = params[i];
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    const bool fits = !buckets.empty() && bytes + size <= cap &&
                      params[buckets.back().front()].scalar_type() == p.scalar_type() &&
                      params[buckets.back().front()].device() == p.device();
    if (!fits) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(i);
    bytes += size;
  }
  return buckets;
}

}  // namespace

GradientSync::GradientSync(std::shared_ptr<ProcessGroup> group, double bucket_mb)
    : group_(std::move(group)), bucket_bytes_(static_cast<int64_t>(bucket_mb * 1024.0 * 1024.0)) {
  if (!group_) throw Error("gradient sync: no process group");
  if (!(bucket_mb > 0)) throw Error("dist.bucket_mb must be > 0");
}

void GradientSync::operator()(const std::vector<at::Tensor>& params) const {
  const double world = static_cast<double>(group_->world());
  at::NoGradGuard no_grad;
  for (const std::vector<size_t>& bucket : make_buckets(params, bucket_bytes_)) {
    const at::Tensor& first = params[bucket.front()];
    int64_t numel = 0;
    for (size_t i : bucket) numel += params[i].numel();
    const auto count = static_cast<int64_t>(bucket.size());
    // [numel + count]: the gradients, then one has-a-gradient flag per parameter.
    at::Tensor flat = at::zeros({numel + count}, first.options().requires_grad(false));
    int64_t offset = 0;
    for (size_t j = 0; j < bucket.size(); ++j) {
      const at::Tensor& p = params[bucket[j]];
      const at::Tensor g = p.grad();
      if (g.defined()) {
        flat.narrow(0, offset, p.numel()).copy_(g.reshape(-1));
        flat[numel + static_cast<int64_t>(j)] = 1;
      }
      offset += p.numel();
    }
    std::vector<at::Tensor> v{flat};
    group_->all_reduce(v);
    flat.narrow(0, 0, numel).div_(world);
    const at::Tensor used = flat.narrow(0, numel, count).gt(0).cpu();  // [count]
    const auto used_a = used.accessor<bool, 1>();
    offset = 0;
    for (size_t j = 0; j < bucket.size(); ++j) {
      at::Tensor p = params[bucket[j]];
      const at::Tensor avg = flat.narrow(0, offset, p.numel()).view(p.sizes());
      offset += p.numel();
      if (!used_a[static_cast<int64_t>(j)]) continue;
      if (p.grad().defined()) {
        p.mutable_grad().copy_(avg);
      } else {
        p.mutable_grad() = avg.clone();
      }
    }
  }
}

void broadcast_tensors(ProcessGroup& group, const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  for (const at::Tensor& t : tensors) {
    // c10d needs contiguous storage; copy back where the tensor is a strided view.
    at::Tensor buf = t.detach().contiguous();
    std::vector<at::Tensor> v{buf};
    group.broadcast(v, 0);
    if (buf.data_ptr() != t.data_ptr()) t.detach().copy_(buf);
  }
}

}  // namespace setok::dist
