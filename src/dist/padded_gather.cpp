#include "setok/dist/padded_gather.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::dist {

namespace {

// Pads dim 1 of `t` with zeros to `k`.
at::Tensor pad_dim1(const at::Tensor& t, int64_t k) {
  if (t.size(1) == k) return t;
  std::vector<int64_t> shape = t.sizes().vec();
  shape[1] = k - t.size(1);
  return at::cat({t, at::zeros(shape, t.options())}, 1);
}

// Gathers `t` [B, K', ...] from every rank -> [W B, K', ...]; this rank's block is `t` itself.
at::Tensor gather_rows(ProcessGroup& group, const at::Tensor& t) {
  // Gloo reduces no bool: move masks as uint8.
  const bool is_bool = t.scalar_type() == at::kBool;
  const at::Tensor wire = is_bool ? t.to(at::kByte) : t;
  at::Tensor all = group.all_gather(wire);  // [W, B, K', ...]
  if (is_bool) all = all.to(at::kBool);
  std::vector<at::Tensor> blocks = all.unbind(0);
  blocks[static_cast<size_t>(group.rank())] = t;
  return at::cat(blocks, 0);
}

}  // namespace

std::pair<at::Tensor, at::Tensor> padded_all_gather(ProcessGroup& group, const at::Tensor& x,
                                                    const at::Tensor& mask) {
  if (x.dim() < 2 || mask.dim() != 2 || x.size(0) != mask.size(0) || x.size(1) != mask.size(1)) {
    throw Error("padded all-gather: x must be [B, K, ...] with a [B, K] mask, got " +
                c10::str(x.sizes()) + " and " + c10::str(mask.sizes()));
  }
  // One all-reduce for the largest batch, the smallest batch (negated) and the largest K.
  at::Tensor sizes = at::tensor(std::vector<double>{static_cast<double>(x.size(0)),
                                                    -static_cast<double>(x.size(0)),
                                                    static_cast<double>(x.size(1))},
                                at::kDouble)
                         .to(x.device());
  std::vector<at::Tensor> v{sizes};
  group.all_reduce(v, Reduce::kMax);
  const at::Tensor s = sizes.cpu();
  const auto a = s.accessor<double, 1>();
  if (a[0] != -a[1]) {
    throw Error("padded all-gather: the ranks' batch sizes differ (rank " +
                std::to_string(group.rank()) + " has " + std::to_string(x.size(0)) + ")");
  }
  const auto k = static_cast<int64_t>(a[2]);
  return {gather_rows(group, pad_dim1(x, k)), gather_rows(group, pad_dim1(mask, k))};
}

at::Tensor concat_over_ranks(ProcessGroup& group, const at::Tensor& x) {
  if (!x.defined() || x.dim() < 1) throw Error("concat over ranks: x must be [n, ...]");
  at::NoGradGuard no_grad;
  const at::Tensor counts =
      group.all_gather(at::full({1}, x.size(0), at::kLong).to(x.device())).view(-1).cpu();  // [W]
  const int64_t most = counts.max().item<int64_t>();
  std::vector<int64_t> shape = x.sizes().vec();
  shape[0] = most - x.size(0);
  const at::Tensor padded = at::cat({x.detach(), at::zeros(shape, x.options())}, 0);  // [most, ...]
  const bool is_bool = x.scalar_type() == at::kBool;                           // Gloo moves no bool
  at::Tensor all = group.all_gather(is_bool ? padded.to(at::kByte) : padded);  // [W, most, ...]
  if (is_bool) all = all.to(at::kBool);
  std::vector<at::Tensor> parts;
  for (int64_t r = 0; r < counts.size(0); ++r)
    parts.push_back(all[r].narrow(0, 0, counts[r].item<int64_t>()));
  return at::cat(parts, 0);
}

}  // namespace setok::dist
