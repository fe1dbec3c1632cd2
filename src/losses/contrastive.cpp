#include "setok/losses/contrastive.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::losses {

namespace {

// Value x, gradient k times x's: how a rank's share of a loss computed on every rank is weighted.
at::Tensor scaled_gradient(const at::Tensor& x, double k) {
  return x * k - x.detach() * (k - 1.0);
}

// [B, K] mask -> (rows [N], image of each row [N]) for the real entries.
std::pair<at::Tensor, at::Tensor> real_rows(const at::Tensor& mask) {
  const at::Tensor idx = mask.reshape(-1).nonzero().view(-1);  // flat positions
  return {idx, at::div(idx, mask.size(1), "floor")};
}

// Soft cross-entropy of each row of `logits` [R, C] against a target uniform over the row's
// positives [R, C] (bool); rows without a positive are left out (0 when none has one).
at::Tensor soft_ce(const at::Tensor& logits, const at::Tensor& positives) {
  const at::Tensor count = positives.sum(1);  // [R]
  const at::Tensor keep = count > 0;
  if (!keep.any().item<bool>()) return logits.sum() * 0.0;
  const at::Tensor target =
      positives.to(logits.scalar_type()) / count.clamp_min(1).unsqueeze(1).to(logits.scalar_type());
  const at::Tensor per_row = -(target * at::log_softmax(logits, 1)).sum(1);  // [R]
  return per_row.masked_select(keep).mean();
}

void check(const at::Tensor& x, const at::Tensor& mask, const char* what) {
  if (!x.defined() || x.dim() != 3 || !mask.defined() || mask.dim() != 2 ||
      mask.size(0) != x.size(0) || mask.size(1) != x.size(1)) {
    throw Error(std::string("contrastive loss: ") + what +
                " must be [B, K, E] with a [B, K] mask, got " +
                (x.defined() ? c10::str(x.sizes()) : "undefined") + " and " +
                (mask.defined() ? c10::str(mask.sizes()) : "undefined"));
  }
}

}  // namespace

ConceptForm parse_concept_form(const std::string& name) {
  if (name == "token") return ConceptForm::kToken;
  if (name == "pooled") return ConceptForm::kPooled;
  if (name == "spread") return ConceptForm::kSpread;
  throw Error("concept loss form must be token, pooled or spread, got '" + name + "'");
}

int64_t phrase_id(const std::string& text) {
  return static_cast<int64_t>(runtime::stable_hash(text) >> 1);
}

at::Tensor soft_maximum(const at::Tensor& similarity, const at::Tensor& mask, double softness) {
  if (!(softness > 0)) throw Error("soft maximum: softness must be > 0");
  const at::Tensor m = mask.to(at::kBool);
  // Rows without an entry take a uniform softmax (never -inf everywhere), then weight 0.
  const at::Tensor usable = m | m.any(-1, true).logical_not();
  const at::Tensor w =
      at::softmax((similarity / softness)
                      .masked_fill(usable.logical_not(), -std::numeric_limits<double>::infinity()),
                  -1)
          .masked_fill(m.logical_not(), 0.0);  // [..., L]
  return (w * similarity.masked_fill(m.logical_not(), 0.0)).sum(-1);
}

at::Tensor token_concept_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                              const at::Tensor& phrases, const at::Tensor& phrase_mask,
                              const at::Tensor& phrase_ids, const at::Tensor& scale,
                              double softness, const Gather& gather) {
  check(tokens, token_mask, "tokens");
  check(phrases, phrase_mask, "phrases");
  if (tokens.size(0) != phrases.size(0) || tokens.size(2) != phrases.size(2)) {
    throw Error("contrastive loss: tokens " + c10::str(tokens.sizes()) + " and phrases " +
                c10::str(phrases.sizes()) + " disagree in batch or width");
  }
  if (!phrase_ids.defined() || phrase_ids.sizes() != phrase_mask.sizes()) {
    throw Error("contrastive loss: phrase ids must be [B, P] like the phrase mask");
  }
  const at::Tensor ids = phrase_ids.to(tokens.device()).to(at::kLong);
  if (gather.all_gather) {
    // The whole batch on every rank (see Gather).
    const auto [all_t, all_tm] = gather.all_gather(tokens, token_mask);    // [W B, L', E]
    const auto [all_p, all_pm] = gather.all_gather(phrases, phrase_mask);  // [W B, P', E]
    const auto [all_ids, unused] = gather.all_gather(ids, phrase_mask);    // [W B, P']
    const double w = gather.world;
    return scaled_gradient(token_concept_loss(all_t, all_tm, all_p, all_pm, all_ids,
                                              scaled_gradient(scale, 1.0 / w), softness),
                           w);
  }
  const int64_t E = tokens.size(2);
  const at::Tensor tmask = token_mask.to(at::kBool), pmask = phrase_mask.to(at::kBool);
  // Phrase -> images: every phrase against every image.
  const auto [p_idx, p_img] = real_rows(pmask);
  if (p_idx.numel() == 0) return tokens.sum() * 0.0;
  const at::Tensor q_rows = phrases.reshape({-1, E}).index_select(0, p_idx);   // [Q, E]
  const at::Tensor q_ids = ids.reshape(-1).index_select(0, p_idx);             // [Q]
  const at::Tensor q_sim = at::matmul(tokens, q_rows.t()).permute({2, 0, 1});  // [Q, B, L]
  const at::Tensor q_score =
      soft_maximum(q_sim, tmask.unsqueeze(0).expand_as(q_sim), softness);  // [Q, B]
  const at::Tensor q_holds = ((q_ids.view({-1, 1, 1}) == ids.unsqueeze(0)) & pmask.unsqueeze(0))
                                 .any(-1);  // [Q, B]: image b holds phrase q's text
  const at::Tensor phrase_side = soft_ce(q_score * scale, q_holds);
  // Image -> phrases: every image against every phrase.
  const at::Tensor b_sim = at::matmul(tokens, q_rows.t()).permute({0, 2, 1});  // [B, Q, L]
  const at::Tensor b_score =
      soft_maximum(b_sim, tmask.unsqueeze(1).expand_as(b_sim), softness);  // [B, Q]
  const at::Tensor image_side = soft_ce(b_score * scale, q_holds.t());
  return 0.5 * (phrase_side + image_side);
}

at::Tensor multilabel_contrastive_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                                       const at::Tensor& phrases, const at::Tensor& phrase_mask,
                                       const at::Tensor& scale, const Gather& gather) {
  check(tokens, token_mask, "tokens");
  check(phrases, phrase_mask, "phrases");
  if (tokens.size(0) != phrases.size(0) || tokens.size(2) != phrases.size(2)) {
    throw Error("contrastive loss: tokens " + c10::str(tokens.sizes()) + " and phrases " +
                c10::str(phrases.sizes()) + " disagree in batch or width");
  }
  if (gather.all_gather) {
    // The whole batch on every rank (see Gather).
    const auto [all_t, all_tm] = gather.all_gather(tokens, token_mask);    // [W B, L', E]
    const auto [all_p, all_pm] = gather.all_gather(phrases, phrase_mask);  // [W B, P', E]
    const double w = gather.world;
    return scaled_gradient(
        multilabel_contrastive_loss(all_t, all_tm, all_p, all_pm, scaled_gradient(scale, 1.0 / w)),
        w);
  }
  const auto [t_idx, t_img] = real_rows(token_mask.to(at::kBool));
  const auto [p_idx, p_img] = real_rows(phrase_mask.to(at::kBool));
  const at::Tensor t_rows = tokens.reshape({-1, tokens.size(2)}).index_select(0, t_idx);  // [Nt, E]
  const at::Tensor p_rows =
      phrases.reshape({-1, phrases.size(2)}).index_select(0, p_idx);  // [Np, E]
  // Rows of one side against the columns of the other; a row's positives are its own image's.
  auto side = [&](const at::Tensor& rows, const at::Tensor& row_image, const at::Tensor& cols,
                  const at::Tensor& col_image) {
    const at::Tensor same = row_image.to(tokens.device()).unsqueeze(1) ==
                            col_image.to(tokens.device()).unsqueeze(0);  // [R, C]
    return soft_ce(at::matmul(rows, cols.t()) * scale, same);
  };
  return 0.5 * (side(t_rows, t_img, p_rows, p_img) + side(p_rows, p_img, t_rows, t_img));
}

at::Tensor info_nce_loss(const at::Tensor& image, const at::Tensor& text, const at::Tensor& scale,
                         const Gather& gather) {
  if (image.dim() != 2 || image.sizes() != text.sizes()) {
    throw Error("InfoNCE: image and text embeddings must both be [B, E], got " +
                c10::str(image.sizes()) + " and " + c10::str(text.sizes()));
  }
  const at::Tensor one = at::ones({image.size(0), 1}, image.options().dtype(at::kBool));
  return multilabel_contrastive_loss(image.unsqueeze(1), one, text.unsqueeze(1), one, scale,
                                     gather);
}

ConceptContrastiveImpl::ConceptContrastiveImpl(const ConceptContrastiveOptions& o) : options_(o) {
  if (o.token_dim < 1 || o.text_dim < 1) throw Error("contrastive head: widths must be positive");
  if (!(o.temperature > 0)) throw Error("contrastive head: temperature must be > 0");
  const int64_t e = o.embed_dim > 0 ? o.embed_dim : o.token_dim;
  token_proj = register_module("token_proj", torch::nn::Linear(o.token_dim, e));
  text_proj = register_module("text_proj", torch::nn::Linear(o.text_dim, e));
  logit_scale = register_parameter("logit_scale", at::full({}, std::log(1.0 / o.temperature)));
  caption_logit_scale =
      register_parameter("caption_logit_scale", at::full({}, std::log(1.0 / o.temperature)));
}

at::Tensor ConceptContrastiveImpl::scale() const {
  return logit_scale.exp().clamp_max(options_.max_scale);
}

at::Tensor ConceptContrastiveImpl::caption_scale() const {
  return caption_logit_scale.exp().clamp_max(options_.max_scale);
}

at::Tensor ConceptContrastiveImpl::embed_tokens(const at::Tensor& tokens) {
  const at::Tensor e = token_proj->forward(tokens);
  return e / e.norm(2, {-1}, true).clamp_min(1e-6);
}

at::Tensor ConceptContrastiveImpl::embed_texts(const at::Tensor& texts) {
  const at::Tensor e = text_proj->forward(texts);
  return e / e.norm(2, {-1}, true).clamp_min(1e-6);
}

at::Tensor masked_mean_tokens(const at::Tensor& tokens, const at::Tensor& token_mask) {
  const at::Tensor m = token_mask.to(tokens.scalar_type()).unsqueeze(2);  // [B, L, 1]
  return (tokens * m).sum(1) / m.sum(1).clamp_min(1.0);                   // [B, D]
}

at::Tensor ConceptContrastiveImpl::concept_loss(const at::Tensor& tokens,
                                                const at::Tensor& token_mask,
                                                const at::Tensor& phrase_embeddings,
                                                const at::Tensor& phrase_mask,
                                                const at::Tensor& phrase_ids,
                                                const ConceptLossOptions& o, const Gather& gather) {
  check(tokens, token_mask, "tokens");
  const at::Tensor phrases = embed_texts(phrase_embeddings);  // [B, P, E]
  switch (o.form) {
    case ConceptForm::kToken:
      return token_concept_loss(embed_tokens(tokens), token_mask, phrases, phrase_mask, phrase_ids,
                                scale(), o.softness, gather);
    case ConceptForm::kPooled: {
      // One pooled vector per image: the soft maximum over a single entry is that entry.
      const at::Tensor pooled = embed_tokens(masked_mean_tokens(tokens, token_mask)).unsqueeze(1);
      const at::Tensor one = at::ones({tokens.size(0), 1}, token_mask.options().dtype(at::kBool));
      return token_concept_loss(pooled, one, phrases, phrase_mask, phrase_ids, scale(), o.softness,
                                gather);
    }
    case ConceptForm::kSpread:
      return multilabel_contrastive_loss(embed_tokens(tokens), token_mask, phrases, phrase_mask,
                                         scale(), gather);
  }
  throw Error("concept loss: unknown form");
}

at::Tensor ConceptContrastiveImpl::caption_loss(const at::Tensor& tokens,
                                                const at::Tensor& token_mask,
                                                const at::Tensor& caption_embeddings,
                                                const Gather& gather) {
  return info_nce_loss(embed_tokens(masked_mean_tokens(tokens, token_mask)),
                       embed_texts(caption_embeddings), caption_scale(), gather);
}

}  // namespace setok::losses
