#include "setok/losses/contrastive.h"

#include <cmath>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::losses {

namespace {

std::pair<at::Tensor, at::Tensor> gathered(const Gather& g, const at::Tensor& x,
                                           const at::Tensor& mask) {
  return g.all_gather ? g.all_gather(x, mask) : std::make_pair(x, mask);
}

// [B, K] mask -> (rows [N], image id of each row [N]) for the real entries.
std::pair<at::Tensor, at::Tensor> real_rows(const at::Tensor& mask, int64_t image_offset) {
  const at::Tensor idx = mask.reshape(-1).nonzero().view(-1);  // flat positions
  const at::Tensor image = at::div(idx, mask.size(1), "floor") + image_offset;
  return {idx, image};
}

// Soft cross-entropy of rows against columns: target uniform over the row's own image's columns.
at::Tensor soft_ce(const at::Tensor& rows, const at::Tensor& row_image, const at::Tensor& cols,
                   const at::Tensor& col_image, const at::Tensor& scale) {
  const at::Tensor logits = at::matmul(rows, cols.t()) * scale;              // [R, C]
  const at::Tensor same = row_image.unsqueeze(1) == col_image.unsqueeze(0);  // [R, C]
  const at::Tensor positives = same.sum(1);                                  // [R]
  const at::Tensor keep = positives > 0;
  if (!keep.any().item<bool>()) return logits.sum() * 0.0;
  const at::Tensor target =
      same.to(logits.scalar_type()) / positives.clamp_min(1).unsqueeze(1).to(logits.scalar_type());
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

at::Tensor multilabel_contrastive_loss(const at::Tensor& tokens, const at::Tensor& token_mask,
                                       const at::Tensor& phrases, const at::Tensor& phrase_mask,
                                       const at::Tensor& scale, const Gather& gather) {
  check(tokens, token_mask, "tokens");
  check(phrases, phrase_mask, "phrases");
  if (tokens.size(0) != phrases.size(0) || tokens.size(2) != phrases.size(2)) {
    throw Error("contrastive loss: tokens " + c10::str(tokens.sizes()) + " and phrases " +
                c10::str(phrases.sizes()) + " disagree in batch or width");
  }
  const int64_t B = tokens.size(0), offset = static_cast<int64_t>(gather.rank) * B;
  const at::Tensor tmask = token_mask.to(at::kBool), pmask = phrase_mask.to(at::kBool);
  // This rank's rows.
  const auto [t_idx, t_img] = real_rows(tmask, offset);
  const auto [p_idx, p_img] = real_rows(pmask, offset);
  const at::Tensor t_rows = tokens.reshape({-1, tokens.size(2)}).index_select(0, t_idx);  // [Nt, E]
  const at::Tensor p_rows =
      phrases.reshape({-1, phrases.size(2)}).index_select(0, p_idx);  // [Np, E]
  // Columns over the gathered batch.
  const auto [all_p, all_pmask] = gathered(gather, phrases, pmask);
  const auto [all_t, all_tmask] = gathered(gather, tokens, tmask);
  const auto [pc_idx, pc_img] = real_rows(all_pmask.to(at::kBool), 0);
  const auto [tc_idx, tc_img] = real_rows(all_tmask.to(at::kBool), 0);
  const at::Tensor p_cols = all_p.reshape({-1, all_p.size(2)}).index_select(0, pc_idx);
  const at::Tensor t_cols = all_t.reshape({-1, all_t.size(2)}).index_select(0, tc_idx);
  const at::Tensor img =
      soft_ce(t_rows, t_img.to(tokens.device()), p_cols, pc_img.to(tokens.device()), scale);
  const at::Tensor txt =
      soft_ce(p_rows, p_img.to(tokens.device()), t_cols, tc_img.to(tokens.device()), scale);
  return 0.5 * (img + txt);
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

at::Tensor ConceptContrastiveImpl::concept_loss(const at::Tensor& tokens,
                                                const at::Tensor& token_mask,
                                                const at::Tensor& phrase_embeddings,
                                                const at::Tensor& phrase_mask,
                                                const Gather& gather) {
  return multilabel_contrastive_loss(embed_tokens(tokens), token_mask,
                                     embed_texts(phrase_embeddings), phrase_mask, scale(), gather);
}

at::Tensor ConceptContrastiveImpl::caption_loss(const at::Tensor& tokens,
                                                const at::Tensor& token_mask,
                                                const at::Tensor& caption_embeddings,
                                                const Gather& gather) {
  const at::Tensor m = token_mask.to(tokens.scalar_type()).unsqueeze(2);    // [B, L, 1]
  const at::Tensor pooled = (tokens * m).sum(1) / m.sum(1).clamp_min(1.0);  // [B, D]
  return info_nce_loss(embed_tokens(pooled), embed_texts(caption_embeddings), caption_scale(),
                       gather);
}

}  // namespace setok::losses
