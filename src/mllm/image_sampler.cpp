#include "setok/mllm/image_sampler.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "setok/llm/kv_cache.h"
#include "setok/runtime/error.h"

namespace setok::mllm {

namespace {

struct Rows {
  int64_t R = 0, V = 0, P = 0, cap = 0;
  at::Device device = at::kCPU;
};

Rows check(const SetokimModelImpl& model, const ImagePrefix& p, const ImageSamplingOptions& o,
           size_t generators) {
  Rows r;
  if (!p.embeds.defined() || p.embeds.dim() != 3)
    throw Error("image sampler: the prefix must be [R, P, H] embeddings");
  r.R = p.embeds.size(0);
  r.P = p.embeds.size(1);
  r.V = p.conditional;
  r.device = p.embeds.device();
  if (r.V < 1 || (r.R != r.V && r.R != 2 * r.V))
    throw Error("image sampler: " + std::to_string(r.R) + " prefix rows for " +
                std::to_string(r.V) + " images (need V, or 2V with guidance)");
  if ((r.R == 2 * r.V) != (o.mar.cfg != 1.0))
    throw Error("image sampler: guidance needs an unconditional partner per row, and only then");
  if (generators != static_cast<size_t>(r.V))
    throw Error("image sampler: one generator per image is needed");
  const int64_t M = model.options().max_image_tokens;
  if (o.max_tokens < 1 || o.num_tokens < 0) throw Error("image sampler: max_tokens must be >= 1");
  if (o.num_tokens > M)
    throw Error("image sampler: num_tokens " + std::to_string(o.num_tokens) +
                " exceeds the model's max_image_tokens " + std::to_string(M));
  r.cap = o.num_tokens > 0 ? o.num_tokens : std::min(o.max_tokens, M);
  return r;
}

// Drawn tokens [V, N, D] in the model's token space -> SeTok tokens, zeros past each row's count.
at::Tensor setok_tokens(const SetokimModelImpl& model, const at::Tensor& drawn,
                        const std::vector<int64_t>& counts) {
  const at::Tensor count = at::tensor(counts, at::kLong).to(drawn.device());  // [V]
  const at::Tensor real =
      at::arange(drawn.size(1), count.options()).unsqueeze(0) < count.unsqueeze(1);  // [V, N]
  return model.denormalize_tokens(drawn) * real.unsqueeze(-1).to(at::kFloat);        // [V, N, D]
}

SampledImages sample_mar(SetokimModelImpl& model, const ImagePrefix& p,
                         const ImageSamplingOptions& o, std::vector<at::Generator> generators,
                         const Rows& r) {
  MarSpan span(model, p);
  SampledImages out;
  if (o.num_tokens > 0) {
    out.counts.assign(static_cast<size_t>(r.V), o.num_tokens);
  } else {  // the count, decided causally at <im_start>, before any slot exists
    const at::Tensor best = model.count_logits(span.last_prefix_state().narrow(0, 0, r.V))
                                .narrow(1, 0, r.cap)
                                .argmax(1)
                                .to(at::kCPU);  // [V]
    for (int64_t v = 0; v < r.V; ++v) out.counts.push_back(best[v].item<int64_t>() + 1);
  }
  span.set_counts(out.counts);
  at::Tensor unconditional_z;  // the step's unconditional half, computed with the conditional
  const auto condition = [&](const at::Tensor& tokens, const at::Tensor& mask,
                             bool unconditional) -> at::Tensor {
    if (unconditional) return unconditional_z;
    const at::Tensor z = span.conditions(tokens, mask);  // [R, N, H]
    if (r.R > r.V) unconditional_z = z.narrow(0, r.V, r.V);
    return z.narrow(0, 0, r.V);
  };
  out.tokens =
      setok_tokens(model,
                   diffusion::mar_sample_rows(condition, *model.diffloss, out.counts, o.mar,
                                              std::move(generators),
                                              at::TensorOptions(at::kFloat).device(r.device)),
                   out.counts);
  return out;
}

SampledImages sample_ar(SetokimModelImpl& model, const ImagePrefix& p,
                        const ImageSamplingOptions& o, std::vector<at::Generator> generators,
                        const Rows& r) {
  llm::LlamaForCausalLM llm = model.llm;
  const int64_t D = model.options().token_dim, base = model.base_vocab();
  const int64_t im_end = base + 1, target = base + 2;
  llm::KvCache cache = llm->make_cache(r.P + r.cap);
  at::Tensor attention = p.attention_mask;  // [R, S]
  at::Tensor h = llm->forward_embeds(p.embeds, attention, {}, &cache, llm::LogitsFor::kNone)
                     .hidden.select(1, r.P - 1);  // [R, H]: the state at <im_start>
  const at::Tensor start = h;
  SampledImages out;
  out.counts.assign(static_cast<size_t>(r.V), 0);
  std::vector<bool> done(static_cast<size_t>(r.V), false);
  std::vector<at::Tensor> drawn;  // per step, [V, D] (zeros for finished rows)
  for (int64_t j = 0; j < r.cap; ++j) {
    const at::Tensor logits = model.logits(h.narrow(0, 0, r.V)).to(at::kCPU);  // [V, base + 3]
    std::vector<int64_t> active;
    for (int64_t v = 0; v < r.V; ++v) {
      const auto vi = static_cast<size_t>(v);
      if (done[vi]) continue;
      const bool more = o.num_tokens > 0 ? j < o.num_tokens
                                         : j == 0 || logits[v][target].item<float>() >=
                                                         logits[v][im_end].item<float>();
      if (more) {
        active.push_back(v);
      } else {
        done[vi] = true;
      }
    }
    if (active.empty()) break;
    const at::Tensor z = model.condition(h, at::full({r.R}, j, at::kLong), start);  // [R, H]
    at::Tensor step = at::zeros({r.V, D}, at::TensorOptions(at::kFloat).device(r.device));
    at::Tensor fed = at::zeros({r.R, 1}, at::TensorOptions(at::kLong).device(r.device));
    for (const int64_t v : active) {
      const at::Tensor zv = r.R > r.V ? at::stack({z[v], z[v + r.V]}) : z.narrow(0, v, 1);
      step[v] = model.diffloss->sample(zv, o.mar.temperature, o.mar.cfg,
                                       generators[static_cast<size_t>(v)])[0];  // [D]
      ++out.counts[static_cast<size_t>(v)];
      fed[v] = 1;
      if (r.R > r.V) fed[v + r.V] = 1;
    }
    drawn.push_back(step);
    // The drawn token is the next slot's input (partners see the same tokens).
    at::Tensor inputs = model.mm_in_projector->forward(r.R > r.V ? at::cat({step, step}) : step)
                            .to(p.embeds.scalar_type())
                            .unsqueeze(1);  // [R, 1, H]
    attention = at::cat({attention, fed}, 1);
    h = llm->forward_embeds(inputs, attention, {}, &cache, llm::LogitsFor::kNone)
            .hidden.select(1, 0);
  }
  out.tokens = setok_tokens(model, at::stack(drawn, 1), out.counts);
  return out;
}

}  // namespace

MarSpan::MarSpan(SetokimModelImpl& model, const ImagePrefix& p)
    : model_(model),
      cache_(model.llm->make_cache(p.embeds.size(1) + model.options().max_image_tokens)),
      rows_(p.embeds.size(0)),
      conditional_(p.conditional),
      prefix_(p.embeds.size(1)),
      prefix_mask_(p.attention_mask),
      dtype_(p.embeds.scalar_type()) {
  if (model.options().image_span != ImageSpan::kMar)
    throw Error("image sampler: a MAR span needs a model with image_span mar");
  last_ = model.llm->forward_embeds(p.embeds, p.attention_mask, {}, &cache_, llm::LogitsFor::kNone)
              .hidden.select(1, prefix_ - 1);  // [R, H]
}

void MarSpan::set_counts(const std::vector<int64_t>& counts) {
  if (static_cast<int64_t>(counts.size()) != conditional_)
    throw Error("image sampler: one count per image is needed");
  const at::Device device = prefix_mask_.device();
  const auto long_opts = at::TensorOptions(at::kLong).device(device);
  slots_ = *std::max_element(counts.begin(), counts.end());
  at::Tensor span_mask = at::zeros({rows_, slots_}, at::kLong);  // [R, N]
  for (int64_t row = 0; row < rows_; ++row)
    span_mask[row].narrow(0, 0, counts[static_cast<size_t>(row % conditional_)]).fill_(1);
  attention_ = at::cat({prefix_mask_, span_mask.to(device)}, 1);  // [R, P + N]
  spans_ = at::cat(
      {at::full({rows_, prefix_}, -1, long_opts), at::zeros({rows_, slots_}, long_opts)}, 1);
  slot_ids_ = at::arange(slots_, long_opts);                       // [N]
  hidden_rows_ = model_.hidden_slot_rows(slot_ids_).unsqueeze(0);  // [1, N, H]
}

at::Tensor MarSpan::conditions(const at::Tensor& tokens, const at::Tensor& hidden) {
  if (slots_ == 0) throw Error("image sampler: set the counts before the span");
  const at::Device device = attention_.device();
  const at::Tensor projected = model_.mm_in_projector->forward(tokens.to(device));  // [V, N, H]
  at::Tensor span = at::where(hidden.to(device).unsqueeze(-1), hidden_rows_.to(projected.dtype()),
                              projected)
                        .to(dtype_);                          // [V, N, H]
  if (rows_ > conditional_) span = at::cat({span, span}, 0);  // the partners see the same slots
  cache_.truncate(prefix_);
  const at::Tensor h =
      model_.llm->forward_embeds(span, attention_, {}, &cache_, llm::LogitsFor::kNone,
                                 spans_)
          .hidden;  // [R, N, H]
  cache_.truncate(prefix_);
  const at::Tensor start =
      last_.unsqueeze(1).expand({rows_, slots_, last_.size(-1)}).reshape({rows_ * slots_, -1});
  return model_.condition(h.reshape({rows_ * slots_, -1}), slot_ids_.repeat({rows_}), start)
      .view({rows_, slots_, -1});  // [R, N, H]
}

SampledImages sample_image_tokens(SetokimModelImpl& model, const ImagePrefix& prefix,
                                  const ImageSamplingOptions& options,
                                  std::vector<at::Generator> generators) {
  const Rows rows = check(model, prefix, options, generators.size());
  at::NoGradGuard no_grad;
  if (model.options().image_span == ImageSpan::kMar)
    return sample_mar(model, prefix, options, std::move(generators), rows);
  return sample_ar(model, prefix, options, std::move(generators), rows);
}

}  // namespace setok::mllm
