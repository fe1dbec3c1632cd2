#include "setok/train/concept_metrics.h"

#include <algorithm>
#include <limits>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::train {

at::Tensor grounding_targets(const at::Tensor& labels, const at::Tensor& pixel_cluster,
                             const at::Tensor& owners, int64_t num_tokens, int64_t num_phrases) {
  const at::Tensor lab = labels.reshape(-1).to(at::kLong);
  if (pixel_cluster.numel() != lab.numel())
    throw Error("grounding: pixel clusters and labels disagree in size");
  if (num_tokens < 1) throw Error("grounding: an image needs a token");
  const int64_t K = std::max<int64_t>(lab.max().item<int64_t>(), num_phrases) + 1;
  const at::Tensor keep = (lab >= 0) & (pixel_cluster >= 0);
  const at::Tensor overlap =
      at::bincount(lab.masked_select(keep) * num_tokens + pixel_cluster.masked_select(keep), {},
                   K * num_tokens)
          .view({K, num_tokens});  // [K, L]: pixels of label k in cluster l
  const at::Tensor owned =
      at::zeros({K}, at::kBool)
          .index_fill_(0, owners.masked_select(owners >= 0).to(at::kLong), true);  // [K]
  const at::Tensor instance = at::arange(1, num_phrases + 1, at::kLong);  // phrase p <-> p + 1
  const at::Tensor best = overlap.index_select(0, instance).argmax(1);    // [P]
  return at::where(owned.index_select(0, instance), best, at::full_like(best, -1));
}

ConceptScores concept_scores(const std::vector<ImageConcepts>& images) {
  ConceptScores out;
  const int64_t I = static_cast<int64_t>(images.size());
  if (I == 0) return out;
  int64_t L = 0, E = 0;
  for (const auto& im : images) {
    if (!im.tokens.defined() || im.tokens.dim() != 2 || im.tokens.size(0) < 1)
      throw Error("concept scores: every image needs tokens [L, E]");
    L = std::max(L, im.tokens.size(0));
    E = im.tokens.size(1);
  }
  // Tokens padded to [I, L, E] with a mask; phrases flattened with their owner image.
  at::Tensor tokens = at::zeros({I, L, E}, at::kFloat);
  at::Tensor token_mask = at::zeros({I, L}, at::kBool);
  std::vector<at::Tensor> phrase_rows;
  std::vector<int64_t> owner, ids, target;
  for (int64_t i = 0; i < I; ++i) {
    const auto& im = images[static_cast<size_t>(i)];
    const int64_t n = im.tokens.size(0);
    tokens[i].narrow(0, 0, n).copy_(im.tokens.to(at::kFloat));
    token_mask[i].narrow(0, 0, n).fill_(true);
    const int64_t P = im.phrases.defined() ? im.phrases.size(0) : 0;
    if (static_cast<int64_t>(im.phrase_ids.size()) != P)
      throw Error("concept scores: phrase ids and phrases disagree");
    for (int64_t p = 0; p < P; ++p) {
      phrase_rows.push_back(im.phrases[p].to(at::kFloat));
      owner.push_back(i);
      ids.push_back(im.phrase_ids[static_cast<size_t>(p)]);
      target.push_back(im.targets.defined() ? im.targets[p].item<int64_t>() : -2);
    }
  }
  const int64_t Q = static_cast<int64_t>(phrase_rows.size());
  if (Q == 0) return out;
  // Which images hold which phrase text: [I, Pmax] ids, padded with an impossible id.
  int64_t Pmax = 0;
  for (const auto& im : images) Pmax = std::max<int64_t>(Pmax, im.phrase_ids.size());
  at::Tensor image_ids = at::full({I, std::max<int64_t>(Pmax, 1)}, -1, at::kLong);
  for (int64_t i = 0; i < I; ++i) {
    const auto& v = images[static_cast<size_t>(i)].phrase_ids;
    for (size_t p = 0; p < v.size(); ++p) image_ids[i][static_cast<int64_t>(p)] = v[p];
  }
  const at::Tensor phrases = at::stack(phrase_rows);  // [Q, E]
  const at::Tensor owners = at::tensor(owner, at::kLong), qids = at::tensor(ids, at::kLong);
  const at::Tensor targets = at::tensor(target, at::kLong);
  const at::Tensor flat_tokens = tokens.view({I * L, E});
  const at::Tensor token_count = token_mask.sum(1).to(at::kDouble);  // [I]
  double retrieval_hits = 0, retrieval_chance = 0, grounding_hits = 0, grounding_chance = 0;
  constexpr int64_t kChunk = 256;
  for (int64_t start = 0; start < Q; start += kChunk) {
    const int64_t n = std::min(kChunk, Q - start);
    const at::Tensor sim = at::matmul(phrases.narrow(0, start, n), flat_tokens.t())
                               .view({n, I, L})
                               .masked_fill(token_mask.logical_not().unsqueeze(0),
                                            -std::numeric_limits<float>::infinity());  // [n, I, L]
    const at::Tensor q = qids.narrow(0, start, n);
    const at::Tensor holds = (q.view({n, 1, 1}) == image_ids.unsqueeze(0)).any(-1);  // [n, I]
    const at::Tensor retrieved = std::get<0>(sim.max(-1)).argmax(1);                 // [n]
    retrieval_hits += holds.gather(1, retrieved.unsqueeze(1)).sum().item<double>();
    retrieval_chance +=
        (holds.sum(1).to(at::kDouble) / static_cast<double>(I)).sum().item<double>();
    // Grounding: the best token within the phrase's own image.
    const at::Tensor own = owners.narrow(0, start, n);
    const at::Tensor picked =
        sim.gather(1, own.view({n, 1, 1}).expand({n, 1, L})).squeeze(1).argmax(1);  // [n]
    const at::Tensor t = targets.narrow(0, start, n);
    const at::Tensor scored = t >= 0;
    grounding_hits += (scored & (picked == t)).sum().item<double>();
    grounding_chance +=
        (1.0 / token_count.index_select(0, own.masked_select(scored))).sum().item<double>();
    out.grounded += scored.sum().item<int64_t>();
    out.grounding_skipped += (t == -1).sum().item<int64_t>();
  }
  out.phrases = Q;
  out.retrieval_accuracy = retrieval_hits / static_cast<double>(Q);
  out.retrieval_chance = retrieval_chance / static_cast<double>(Q);
  if (out.grounded > 0) {
    out.grounding_accuracy = grounding_hits / static_cast<double>(out.grounded);
    out.grounding_chance = grounding_chance / static_cast<double>(out.grounded);
  }
  return out;
}

}  // namespace setok::train
