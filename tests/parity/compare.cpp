#include "compare.h"

#include <sstream>

#include <ATen/ATen.h>

#include "harness.h"

namespace setok::parity {

namespace {
std::string index_text(int64_t flat, at::IntArrayRef sizes) {
  std::vector<int64_t> idx(sizes.size());
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    idx[d] = sizes[d] == 0 ? 0 : flat % sizes[d];
    flat = sizes[d] == 0 ? 0 : flat / sizes[d];
  }
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < idx.size(); ++i) s << (i ? ", " : "") << idx[i];
  s << "]";
  return s.str();
}

void check_shape(const std::string& name, const at::Tensor& got, const at::Tensor& want) {
  if (!got.defined() || !want.defined()) throw Failure(name + ": undefined tensor");
  if (got.sizes() != want.sizes()) {
    std::ostringstream s;
    s << name << ": shape " << got.sizes() << " vs expected " << want.sizes();
    throw Failure(s.str());
  }
}
}  // namespace

void expect_close(const std::string& name, const at::Tensor& got, const at::Tensor& want,
                  double rtol, double atol) {
  check_shape(name, got, want);
  const at::Tensor g = got.detach().to(at::kCPU).to(at::kDouble).reshape(-1);
  const at::Tensor w = want.detach().to(at::kCPU).to(at::kDouble).reshape(-1);
  if (g.numel() == 0) return;
  // A NaN compares false with everything, so it would pass the tolerance test below: any NaN,
  // produced or expected, is a failure (a reference holding NaN checks nothing).
  if (g.isnan().any().item<bool>()) throw Failure(name + ": NaN in output");
  if (w.isnan().any().item<bool>()) throw Failure(name + ": NaN in the expected values");
  const at::Tensor excess = (g - w).abs() - (atol + rtol * w.abs());  // > 0 where out of tolerance
  const int64_t worst = excess.argmax().item<int64_t>();
  if (excess[worst].item<double>() > 0) {
    std::ostringstream s;
    s << name << ": " << g[worst].item<double>() << " vs expected " << w[worst].item<double>()
      << " at " << index_text(worst, got.sizes()) << " (max abs diff "
      << (g - w).abs().max().item<double>() << ", atol " << atol << ", rtol " << rtol << ")";
    throw Failure(s.str());
  }
}

void expect_equal(const std::string& name, const at::Tensor& got, const at::Tensor& want) {
  check_shape(name, got, want);
  const at::Tensor g = got.detach().to(at::kCPU).reshape(-1);
  const at::Tensor w = want.detach().to(at::kCPU).to(g.scalar_type()).reshape(-1);
  const at::Tensor diff = g.ne(w);
  if (diff.any().item<bool>()) {
    const int64_t first = diff.to(at::kByte).argmax().item<int64_t>();
    std::ostringstream s;
    s << name << ": " << diff.sum().item<int64_t>() << " of " << g.numel()
      << " elements differ; first at " << index_text(first, got.sizes()) << ": "
      << g[first].item<double>() << " vs expected " << w[first].item<double>();
    throw Failure(s.str());
  }
}

}  // namespace setok::parity
