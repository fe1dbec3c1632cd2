#include "setok/mllm/token_norm.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/runtime/error.h"

namespace setok::mllm {

TokenNorm parse_token_norm(const std::string& name) {
  if (name == "none") return TokenNorm::kNone;
  if (name == "standardize") return TokenNorm::kStandardize;
  if (name == "whiten") return TokenNorm::kWhiten;
  throw Error("token norm: unknown '" + name + "' (none, standardize, whiten)");
}

const char* token_norm_name(TokenNorm norm) {
  switch (norm) {
    case TokenNorm::kNone:
      return "none";
    case TokenNorm::kStandardize:
      return "standardize";
    case TokenNorm::kWhiten:
      return "whiten";
  }
  return "?";
}

namespace {

// Share of the total variance in the largest eigenvalue, and how many directions hold 90 %.
std::string spectrum(const at::Tensor& eigenvalues) {  // ascending [D]
  const at::Tensor desc = eigenvalues.flip(0).clamp_min(0);
  const double total = desc.sum().item<double>();
  const at::Tensor share = desc.cumsum(0) / total;
  const int64_t k90 = share.lt(0.9).sum().item<int64_t>() + 1;
  return fmt::format("top direction {:.1f} % of the variance, {} of {} directions hold 90 %",
                     100.0 * desc[0].item<double>() / total, k90, desc.size(0));
}

}  // namespace

TokenNormFit fit_token_norm(const at::Tensor& tokens, TokenNorm norm) {
  if (!tokens.defined() || tokens.dim() != 2 || tokens.size(0) < 2)
    throw Error("token norm: need [N, D] tokens with N >= 2");
  const int64_t N = tokens.size(0), D = tokens.size(1);
  if (norm == TokenNorm::kWhiten && N <= D)
    throw Error("token norm: whitening " + std::to_string(D) + "-wide tokens needs more than " +
                std::to_string(D) + " of them, got " + std::to_string(N));
  const at::Tensor x = tokens.to(at::kCPU).to(at::kDouble);                     // [N, D]
  const at::Tensor mean = x.mean(0);                                            // [D]
  const at::Tensor centred = x - mean;                                          // [N, D]
  const at::Tensor cov = centred.t().mm(centred) / static_cast<double>(N - 1);  // [D, D]
  const at::Tensor std = cov.diagonal().clamp_min(0).sqrt();                    // [D]
  auto [eigenvalues, eigenvectors] = at::linalg_eigh(cov);  // ascending [D], [D, D] columns
  TokenNormFit fit;
  fit.summary = fmt::format(
      "{} tokens of width {}: |mean| {:.3f}, RMS {:.3f}; per-dimension std min {:.3f} median "
      "{:.3f} max {:.3f}; {}",
      N, D, mean.norm().item<double>(), x.pow(2).mean().sqrt().item<double>(),
      std.min().item<double>(), std.median().item<double>(), std.max().item<double>(),
      spectrum(eigenvalues));
  at::Tensor map, unmap;
  switch (norm) {
    case TokenNorm::kNone:
      map = unmap = at::eye(D, at::kDouble);
      fit.shift = at::zeros({D}, at::kDouble);
      break;
    case TokenNorm::kStandardize: {
      const at::Tensor s = std.clamp_min(1e-6);
      map = at::diag(s.reciprocal());
      unmap = at::diag(s);
      fit.shift = mean;
      break;
    }
    case TokenNorm::kWhiten: {
      const at::Tensor lambda = eigenvalues.clamp_min(0) + 1e-3 * eigenvalues.clamp_min(0).mean();
      map = eigenvectors.t() * lambda.rsqrt().unsqueeze(1);  // diag(l^-1/2) E^T
      unmap = eigenvectors * lambda.sqrt().unsqueeze(0);     // E diag(l^1/2)
      fit.shift = mean;
      break;
    }
  }
  fit.shift = fit.shift.to(at::kFloat);
  fit.map = map.to(at::kFloat);
  fit.unmap = unmap.to(at::kFloat);
  return fit;
}

}  // namespace setok::mllm
