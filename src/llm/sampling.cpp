#include "setok/llm/sampling.h"

#include <limits>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::llm {

void SamplingOptions::check() const {
  if (top_k < 0) throw Error("sampling: top_k must be >= 0");
  if (!(top_p > 0.0 && top_p <= 1.0)) throw Error("sampling: top_p must be in (0, 1]");
}

at::Tensor filter_logits(const at::Tensor& logits, const SamplingOptions& o) {
  o.check();
  const double neg_inf = -std::numeric_limits<double>::infinity();
  at::Tensor out = logits.to(at::kFloat);  // [B, V]
  if (o.temperature > 0.0) out = out / o.temperature;
  const int64_t V = out.size(-1);
  if (o.top_k > 0 && o.top_k < V) {
    const at::Tensor kth = std::get<0>(out.topk(o.top_k, -1)).narrow(-1, o.top_k - 1, 1);  // [B, 1]
    out = out.masked_fill(out < kth, neg_inf);
  }
  if (o.top_p < 1.0) {
    const auto [sorted, order] = out.sort(-1, /*descending=*/true);  // [B, V]
    const at::Tensor probs = sorted.softmax(-1);
    // A token goes when the tokens ranked above it already hold top_p of the mass.
    const at::Tensor mass_before = probs.cumsum(-1) - probs;
    at::Tensor remove_sorted = mass_before >= o.top_p;
    remove_sorted.narrow(-1, 0, 1).fill_(false);
    const at::Tensor remove = at::zeros_like(remove_sorted).scatter(-1, order, remove_sorted);
    out = out.masked_fill(remove, neg_inf);
  }
  return out;
}

at::Tensor sample_next(const at::Tensor& logits, const SamplingOptions& o,
                       std::optional<at::Generator> generator) {
  if (logits.dim() != 2)
    throw Error("sampling: logits must be [B, V], got " + c10::str(logits.sizes()));
  if (o.greedy()) {
    o.check();
    return logits.argmax(-1);  // [B]
  }
  const at::Tensor probs = filter_logits(logits, o).softmax(-1).to(at::kCPU);  // [B, V]
  const at::Tensor ids = (generator ? at::multinomial(probs, 1, /*replacement=*/false, *generator)
                                    : at::multinomial(probs, 1, /*replacement=*/false))
                             .squeeze(-1);
  return ids.to(logits.device());
}

}  // namespace setok::llm
