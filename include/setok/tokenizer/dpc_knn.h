#pragma once
// Density-peak clustering with k-nearest-neighbour density (DPC-KNN), batched over images
// (DESIGN §5.4). Runs in float32 without gradients. Per image, on features x [N, C] of which
// the valid tokens V (all, or those of an optional token mask: letterbox padding is not) count:
//   D_ij   = |x_i - x_j| / sqrt(C)   (features centred on the valid tokens' mean first, and
//            computed with TF32 off, so the distances are float32-exact on any device)
//   rho_i  = exp(-mean of the k smallest D_i.^2 over V)  (+ U(0, 1e-6) tie-break noise, seeded);
//            an image with fewer than k valid tokens pads its neighbour list with max(D) + 1
//   delta_i = min_j ( D_ij if rho_j > rho_i else M_j ),  j in V; M_j = max(D) over V x V
//            ("global_max", TCFormer's per-image maximum, the default) or max_l D_jl
//            ("column_max", the released single-image port; kept for parity)
//   s_i    = delta_i * rho_i
//   centres = {i in V : s_i > threshold} in ascending index; none -> the min_clusters highest
//            scores; more than max_clusters (> 0) -> the max_clusters highest; always sorted
//   a(n)   = argmin over centres of D (each centre owns its own cluster); -1 for n not in V
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace setok::tokenizer {

enum class ParentDistance { kColumnMax, kGlobalMax };
ParentDistance parse_parent_distance(const std::string& name);  // "column_max" | "global_max"

struct DpcKnnOptions {
  int64_t k = 5;
  double threshold = 0.5;
  int64_t min_clusters = 1;
  int64_t max_clusters = 0;  // 0 = no limit
  ParentDistance parent_distance = ParentDistance::kGlobalMax;
  bool tie_noise = true;
};

struct Clusters {
  at::Tensor centres;      // [B, L_max] int64 token index of each centre (padded: 0)
  at::Tensor centre_mask;  // [B, L_max] bool, true for real centres
  at::Tensor assignment;   // [B, N] int64 cluster id in [0, counts[b]); -1 for masked tokens
  at::Tensor scores;       // [B, N] float32 s_i (-1 for masked tokens)
  at::Tensor counts;       // [B] int64 clusters per image (L_b)
  int64_t max_count() const;
};

// x [B, N, C] (any float dtype, any device); token_mask [B, N] bool (undefined = every token
// valid; each image needs at least one valid token). `noise` draws the tie-break noise when
// options.tie_noise (a CPU generator; the noise is moved to x's device); nullopt uses torch's
// default generator. `tie_noise` [B, N] float in [0, 1), when defined, is used instead of any
// draw (per-sample noise, see SetokTokenizerImpl::forward). Throws setok::Error for bad shapes,
// k outside [1, N] or non-finite x.
Clusters dpc_knn(const at::Tensor& x, const DpcKnnOptions& options,
                 std::optional<at::Generator> noise = std::nullopt,
                 const at::Tensor& token_mask = {}, const at::Tensor& tie_noise = {});

// dpc_knn called once per image ([1, N, C] each) and padded to one Clusters: the released
// code's per-image structure, used by the tokenizer's loop mode (benchmark baseline).
Clusters dpc_knn_per_image(const at::Tensor& x, const DpcKnnOptions& options,
                           std::optional<at::Generator> noise = std::nullopt,
                           const at::Tensor& token_mask = {}, const at::Tensor& tie_noise = {});

// One image at a time with host loops in float64, written straight from the formulas above:
// the test oracle for dpc_knn and the baseline of `setok_bench tokenizer`. x [N, C];
// token_mask [N] bool (undefined = all valid); no noise.
Clusters dpc_knn_reference(const at::Tensor& x, const DpcKnnOptions& options,
                           const at::Tensor& token_mask = {});

}  // namespace setok::tokenizer
