#include "setok/tokenizer/dpc_knn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"

namespace setok::tokenizer {

ParentDistance parse_parent_distance(const std::string& name) {
  if (name == "column_max") return ParentDistance::kColumnMax;
  if (name == "global_max") return ParentDistance::kGlobalMax;
  throw Error("parent_distance must be column_max or global_max, got '" + name + "'");
}

int64_t Clusters::max_count() const {
  return centres.size(1);
}

namespace {

void check(const at::Tensor& x, const DpcKnnOptions& o, int64_t dims) {
  if (!x.defined() || x.dim() != dims || x.size(-2) == 0 || x.size(-1) == 0) {
    throw Error("dpc_knn: expected features [" + std::string(dims == 3 ? "B, " : "") +
                "N, C], got " + (x.defined() ? c10::str(x.sizes()) : "undefined"));
  }
  const int64_t n = x.size(-2);
  if (o.k < 1 || o.k > n) {
    throw Error("dpc_knn: k = " + std::to_string(o.k) + " must be in [1, N = " + std::to_string(n) +
                "]");
  }
  if (o.min_clusters < 1) throw Error("dpc_knn: min_clusters must be >= 1");
  if (o.max_clusters < 0) throw Error("dpc_knn: max_clusters must be >= 0");
  if (!at::isfinite(x).all().item<bool>()) {
    throw Error("dpc_knn: features contain NaN or infinity");
  }
}

// [B, N] bool of the `count` highest entries of `score` per row (count <= N).
at::Tensor top_mask(const at::Tensor& score, int64_t count) {
  const at::Tensor idx = std::get<1>(score.topk(count, -1));  // [B, count]
  return at::zeros_like(score, score.options().dtype(at::kBool)).scatter(1, idx, true);
}

// token_mask -> bool [B, N] on `device` (all true when undefined); every image keeps a token.
at::Tensor valid_tokens(const at::Tensor& token_mask, int64_t B, int64_t N,
                        const c10::Device& device) {
  if (!token_mask.defined()) return at::ones({B, N}, at::TensorOptions(at::kBool).device(device));
  if (token_mask.dim() != 2 || token_mask.size(0) != B || token_mask.size(1) != N) {
    throw Error("dpc_knn: token mask must be [" + std::to_string(B) + ", " + std::to_string(N) +
                "], got " + c10::str(token_mask.sizes()));
  }
  const at::Tensor valid = token_mask.to(device).to(at::kBool);
  if (!valid.any(1).all().item<bool>()) throw Error("dpc_knn: an image has no valid token");
  return valid;
}

}  // namespace

Clusters dpc_knn(const at::Tensor& x_in, const DpcKnnOptions& o, std::optional<at::Generator> noise,
                 const at::Tensor& token_mask, const at::Tensor& tie_noise) {
  check(x_in, o, 3);
  at::NoGradGuard no_grad;
  compat::Float32MathGuard fp32;  // TF32 would round |x|^2 in cdist's matmul path to ~1e-3
  const int64_t B = x_in.size(0), N = x_in.size(1), C = x_in.size(2);
  const at::Tensor valid = valid_tokens(token_mask, B, N, x_in.device());  // [B, N]
  // Centre each image on its valid tokens: distances are unchanged, but the matmul form of
  // cdist (|x|^2 + |y|^2 - 2 x.y) no longer cancels large common offsets in float32.
  const at::Tensor x0 = x_in.detach().to(at::kFloat);           // [B, N, C]
  const at::Tensor weight = valid.to(at::kFloat).unsqueeze(2);  // [B, N, 1]
  const at::Tensor x = x0 - (x0 * weight).sum(1, true) / weight.sum(1, true);

  const at::Tensor dist = at::cdist(x, x) / std::sqrt(static_cast<double>(C));  // [B, N, N]
  const at::Tensor pair = valid.unsqueeze(2) & valid.unsqueeze(1);              // [B, N, N]
  const at::Tensor global = dist.masked_fill(pair.logical_not(), 0).flatten(1).amax(-1);  // [B]
  // Masked tokens are nobody's neighbour: their columns sit beyond every valid distance.
  const at::Tensor to_valid =
      at::where(valid.unsqueeze(1), dist, (global + 1).view({B, 1, 1}));          // [B, N, N]
  const at::Tensor knn = std::get<0>(to_valid.topk(o.k, -1, /*largest=*/false));  // [B, N, k]
  at::Tensor density = (-knn.pow(2).mean(-1)).exp();                              // [B, N]
  if (tie_noise.defined() && tie_noise.sizes() != at::IntArrayRef({B, N})) {
    throw Error("DPC-KNN: tie noise must be [" + std::to_string(B) + ", " + std::to_string(N) +
                "], got " + c10::str(tie_noise.sizes()));
  }
  if (o.tie_noise) {
    at::Tensor u = tie_noise.defined() ? tie_noise.to(at::kFloat)
                   : noise             ? at::rand({B, N}, *noise, at::kFloat)
                                       : at::rand({B, N}, at::kFloat);
    density = density + u.to(x.device()) * 1e-6;
  }
  density = density.masked_fill(valid.logical_not(), -1.0);  // below every valid density
  const at::Tensor denser =
      density.unsqueeze(1) > density.unsqueeze(2);  // [B, i, j]: rho_j > rho_i
  const at::Tensor fallback =
      o.parent_distance == ParentDistance::kColumnMax
          ? dist.masked_fill(valid.logical_not().unsqueeze(1), 0)  // M_j over valid l
                .amax(-1)
                .masked_fill(valid.logical_not(), std::numeric_limits<float>::infinity())
                .unsqueeze(1)                                                          // [B, 1, N]
          : global.view({B, 1, 1});                                                    // [B, 1, 1]
  const at::Tensor parent = at::where(denser, dist, fallback).amin(-1);                // [B, N]
  const at::Tensor score = (parent * density).masked_fill(valid.logical_not(), -1.0);  // [B, N]

  // Centre selection: threshold, fallback to the top min_clusters, cap at max_clusters.
  at::Tensor selected = (score > o.threshold) & valid;  // [B, N]
  const at::Tensor none = selected.sum(1) == 0;         // [B]
  if (none.any().item<bool>()) {
    const at::Tensor top = top_mask(score, std::min(o.min_clusters, N)) & valid;
    selected = at::where(none.unsqueeze(1), top, selected);
  }
  if (o.max_clusters > 0 && o.max_clusters < N) {
    const at::Tensor over = selected.sum(1) > o.max_clusters;
    if (over.any().item<bool>()) {
      const at::Tensor capped =
          top_mask(score.masked_fill(selected.logical_not(), -2.0), o.max_clusters) & selected;
      selected = at::where(over.unsqueeze(1), capped, selected);
    }
  }

  Clusters out;
  out.scores = score;
  out.counts = selected.sum(1);  // [B]
  const int64_t L = out.counts.max().item<int64_t>();
  // Selected indices first, in ascending order: sort by (not selected, index).
  const at::Tensor index = at::arange(N, x.options().dtype(at::kLong)).expand({B, N});
  const at::Tensor key = index + selected.logical_not().to(at::kLong) * N;  // [B, N]
  const at::Tensor order = std::get<1>(key.sort(-1)).narrow(1, 0, L);       // [B, L]
  out.centre_mask =
      at::arange(L, index.options()).unsqueeze(0) < out.counts.unsqueeze(1);  // [B, L]
  out.centres = order.masked_fill(out.centre_mask.logical_not(), 0);

  // Assignment: nearest centre, reading the centres' rows of D as the released code does
  // (cdist's matmul path is not exactly symmetric); padded centre slots are never chosen.
  at::Tensor from_centre = dist.gather(1, order.unsqueeze(2).expand({B, L, N}));  // [B, L, N]
  from_centre = from_centre.masked_fill(out.centre_mask.logical_not().unsqueeze(2),
                                        std::numeric_limits<float>::infinity());
  at::Tensor assignment = from_centre.argmin(1);  // [B, N]
  // Each centre owns its cluster (a duplicate feature could otherwise pull it elsewhere).
  const at::Tensor own = at::arange(L, index.options()).expand({B, L});
  const at::Tensor current = assignment.gather(1, order);  // [B, L]
  assignment = assignment.scatter(1, order, at::where(out.centre_mask, own, current));
  out.assignment = assignment.masked_fill(valid.logical_not(), -1);
  return out;
}

Clusters dpc_knn_per_image(const at::Tensor& x, const DpcKnnOptions& o,
                           std::optional<at::Generator> noise, const at::Tensor& token_mask,
                           const at::Tensor& tie_noise) {
  check(x, o, 3);
  const at::Tensor valid = valid_tokens(token_mask, x.size(0), x.size(1), x.device());
  std::vector<Clusters> per;
  int64_t L = 0;
  for (int64_t b = 0; b < x.size(0); ++b) {
    per.push_back(dpc_knn(x.narrow(0, b, 1), o, noise, valid.narrow(0, b, 1),
                          tie_noise.defined() ? tie_noise.narrow(0, b, 1) : at::Tensor()));
    L = std::max(L, per.back().max_count());
  }
  auto pad = [L](const at::Tensor& t) { return at::constant_pad_nd(t, {0, L - t.size(1)}); };
  std::vector<at::Tensor> centres, masks, assignment, scores, counts;
  for (const auto& c : per) {
    centres.push_back(pad(c.centres));
    masks.push_back(pad(c.centre_mask));
    assignment.push_back(c.assignment);
    scores.push_back(c.scores);
    counts.push_back(c.counts);
  }
  Clusters out;
  out.centres = at::cat(centres);
  out.centre_mask = at::cat(masks);
  out.assignment = at::cat(assignment);
  out.scores = at::cat(scores);
  out.counts = at::cat(counts);
  return out;
}

Clusters dpc_knn_reference(const at::Tensor& x_in, const DpcKnnOptions& o,
                           const at::Tensor& token_mask) {
  check(x_in, o, 2);
  at::NoGradGuard no_grad;
  const at::Tensor x = x_in.detach().to(at::kCPU).to(at::kDouble).contiguous();
  const int64_t N = x.size(0), C = x.size(1);
  const at::Tensor mask_t =
      valid_tokens(token_mask.defined() ? token_mask.reshape({1, -1}) : token_mask, 1, N,
                   c10::Device(c10::kCPU))
          .reshape(-1)
          .contiguous();
  std::vector<bool> valid(N);
  for (int64_t i = 0; i < N; ++i) valid[i] = mask_t[i].item<bool>();
  auto xa = x.accessor<double, 2>();
  std::vector<std::vector<double>> D(N, std::vector<double>(N));
  double global = 0;
  for (int64_t i = 0; i < N; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += (xa[i][c] - xa[j][c]) * (xa[i][c] - xa[j][c]);
      D[i][j] = std::sqrt(s) / std::sqrt(static_cast<double>(C));
      if (valid[i] && valid[j]) global = std::max(global, D[i][j]);
    }
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> rho(N, -1.0), colmax(N, kInf), score(N, -1.0);
  for (int64_t i = 0; i < N; ++i) {
    if (!valid[i]) continue;
    std::vector<double> row(N);
    colmax[i] = 0;
    for (int64_t j = 0; j < N; ++j) {
      row[j] = valid[j] ? D[i][j] : global + 1;  // masked tokens are nobody's neighbour
      if (valid[j]) colmax[i] = std::max(colmax[i], D[i][j]);
    }
    std::partial_sort(row.begin(), row.begin() + o.k, row.end());
    double m = 0;
    for (int64_t t = 0; t < o.k; ++t) m += row[t] * row[t];
    rho[i] = std::exp(-m / static_cast<double>(o.k));
  }
  for (int64_t i = 0; i < N; ++i) {
    if (!valid[i]) continue;
    double delta = kInf;
    for (int64_t j = 0; j < N; ++j) {
      if (!valid[j]) continue;
      const double fallback = o.parent_distance == ParentDistance::kColumnMax ? colmax[j] : global;
      delta = std::min(delta, rho[j] > rho[i] ? D[i][j] : fallback);
    }
    score[i] = delta * rho[i];
  }
  std::vector<int64_t> centres, pool;
  for (int64_t i = 0; i < N; ++i) {
    if (!valid[i]) continue;
    pool.push_back(i);
    if (score[i] > o.threshold) centres.push_back(i);
  }
  auto top = [&](std::vector<int64_t> candidates, int64_t count) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](int64_t a, int64_t b) { return score[a] > score[b]; });
    candidates.resize(std::min<int64_t>(count, candidates.size()));
    std::sort(candidates.begin(), candidates.end());
    return candidates;
  };
  if (centres.empty()) centres = top(pool, o.min_clusters);
  if (o.max_clusters > 0 && static_cast<int64_t>(centres.size()) > o.max_clusters) {
    centres = top(centres, o.max_clusters);
  }
  const int64_t L = static_cast<int64_t>(centres.size());
  std::vector<int64_t> assignment(N, -1);
  for (int64_t n = 0; n < N; ++n) {
    if (!valid[n]) continue;
    int64_t best = 0;
    for (int64_t l = 1; l < L; ++l) {
      if (D[centres[l]][n] < D[centres[best]][n]) best = l;
    }
    assignment[n] = best;
  }
  for (int64_t l = 0; l < L; ++l) assignment[centres[l]] = l;

  Clusters out;
  const auto i64 = at::TensorOptions().dtype(at::kLong);
  out.centres = at::tensor(centres, i64).unsqueeze(0);
  out.centre_mask = at::ones({1, L}, at::kBool);
  out.assignment = at::tensor(assignment, i64).unsqueeze(0);
  out.scores =
      at::tensor(score, at::TensorOptions().dtype(at::kDouble)).to(at::kFloat).unsqueeze(0);
  out.counts = at::full({1}, L, i64);
  return out;
}

}  // namespace setok::tokenizer
