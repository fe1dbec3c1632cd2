#pragma once
// An affine map of SeTok tokens into the space Setokim reads and writes them in
// (`model.diffusion.token_norm`, docs/setokim.md). The merger's tokens are a raw linear output:
// neither centred nor of unit scale per direction, while the diffusion head's noise schedule and
// MSE treat every direction alike (MAR rescales its VAE latents to unit variance for the same
// reason). Fitted once on training tokens, kept in the checkpoint:
//   y = (x - shift) W^T,   x = y U^T + shift,   U = W^-1
//   standardize: W = diag(1 / std) (per dimension)
//   whiten:      W = diag(1 / sqrt(lambda + eps)) E^T (covariance eigenvectors E; eps a small
//                share of the mean eigenvalue keeps near-empty directions from exploding)
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::mllm {

enum class TokenNorm { kNone, kStandardize, kWhiten };
TokenNorm parse_token_norm(const std::string& name);  // "none" | "standardize" | "whiten"
const char* token_norm_name(TokenNorm norm);

struct TokenNormFit {
  at::Tensor shift;     // [D]
  at::Tensor map;       // [D, D]: W
  at::Tensor unmap;     // [D, D]: W^-1
  std::string summary;  // the tokens' scale as measured (for the log)
};

// tokens [N, D] (rows: one token each, N > D for whiten) -> the map; float64 inside.
TokenNormFit fit_token_norm(const at::Tensor& tokens, TokenNorm norm);

}  // namespace setok::mllm
