#include "setok/mllm/setokim_model.h"

#include <ATen/ATen.h>

#include "setok/llm/text_tokenizer.h"
#include "setok/runtime/error.h"

namespace setok::mllm {

SetokimModelImpl::SetokimModelImpl(const SetokimModelOptions& o, llm::LlamaForCausalLM given)
    : options_(o) {
  if (o.token_dim < 1) throw Error("setokim: the SeTok token width must be positive");
  if (given) {
    options_.llm = given->config();
    options_.llm_dtype = given->dtype();
  }
  llm = register_module("llm", given ? given : llm::LlamaForCausalLM(o.llm, o.llm_dtype));
  const int64_t H = options_.llm.hidden_size;
  mm_in_projector = register_module("mm_in_projector", Projector(o.in_projector, o.token_dim, H));
  mm_out_projector = register_module("mm_out_projector", Projector(o.out_projector, H, H));
  special_embed = register_parameter("special_embed", at::zeros({3, H}));
  special_head = register_parameter("special_head", at::zeros({3, H}));
  reset_special_rows();
  if (o.max_image_tokens < 1) throw Error("setokim: max_image_tokens must be >= 1");
  const int64_t M = o.max_image_tokens;
  z_norm = register_module("z_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({H})));
  if (o.start_condition) start_proj = register_module("start_proj", torch::nn::Linear(H, H));
  // MAR initialises its diffusion position embedding with std 0.02.
  diffusion_pos_embed = register_parameter("diffusion_pos_embed", at::randn({M, H}) * 0.02);
  if (o.image_span == ImageSpan::kMar) {
    // As an LM head is initialised (HF: normal with the initializer range).
    count_head =
        register_parameter("count_head", at::randn({M, H}) * options_.llm.initializer_range);
    slot_embed = register_parameter("slot_embed", at::randn({M, H}) * 0.02);
  }
  diffusion::DiffLossOptions d = options_.diffloss;
  d.target_channels = o.token_dim;
  d.z_channels = H;
  diffloss = register_module("diffloss", diffusion::DiffLoss(d));
  if (o.token_norm != TokenNorm::kNone) {
    const int64_t D = o.token_dim;
    token_shift = register_buffer("token_shift", at::zeros({D}));
    token_map = register_buffer("token_map", at::eye(D));
    token_unmap = register_buffer("token_unmap", at::eye(D));
    token_norm_fitted_ = register_buffer("token_norm_fitted", at::zeros({}, at::kLong));
  }
}

at::Tensor SetokimModelImpl::normalize_tokens(const at::Tensor& tokens) const {
  if (!token_map.defined()) return tokens;
  const at::Tensor x = tokens.to(at::kFloat);
  return at::matmul(x - token_shift.to(x.device()), token_map.to(x.device()).t());  // [..., D]
}

at::Tensor SetokimModelImpl::denormalize_tokens(const at::Tensor& tokens) const {
  if (!token_unmap.defined()) return tokens;
  const at::Tensor y = tokens.to(at::kFloat);
  return at::matmul(y, token_unmap.to(y.device()).t()) + token_shift.to(y.device());  // [..., D]
}

bool SetokimModelImpl::token_norm_fitted() const {
  return !token_norm_fitted_.defined() || token_norm_fitted_.item<int64_t>() == 1;
}

void SetokimModelImpl::set_token_norm(const TokenNormFit& fit) {
  if (!token_map.defined()) throw Error("setokim: this model has no token norm to fit");
  const int64_t D = options_.token_dim;
  if (fit.shift.sizes() != at::IntArrayRef{D} || fit.map.sizes() != at::IntArrayRef{D, D} ||
      fit.unmap.sizes() != at::IntArrayRef{D, D})
    throw Error("setokim: a token norm for width " + std::to_string(D) + " is needed");
  at::NoGradGuard no_grad;
  token_shift.copy_(fit.shift);
  token_map.copy_(fit.map);
  token_unmap.copy_(fit.unmap);
  token_norm_fitted_.fill_(1);
}

void SetokimModelImpl::reset_special_rows() {
  at::NoGradGuard no_grad;
  // The mean of the existing rows (HF's convention for added tokens), in float32.
  const at::Tensor in = llm->model->embed_tokens->weight.to(at::kFloat).mean(0);  // [H]
  const at::Tensor out = (llm->lm_head ? llm->lm_head->weight : llm->model->embed_tokens->weight)
                             .to(at::kFloat)
                             .mean(0);  // [H]
  special_embed.copy_(in.expand_as(special_embed));
  special_head.copy_(out.expand_as(special_head));
}

at::Tensor SetokimModelImpl::embed_ids(const at::Tensor& ids) {
  const int64_t V = base_vocab();
  if (ids.numel() > 0 && ids.ge(V + 3).any().item<bool>()) {
    throw Error("setokim: token id " + std::to_string(ids.max().item<int64_t>()) +
                " is outside the vocabulary and its 3 special tokens [0, " + std::to_string(V + 3) +
                ")");
  }
  const at::Tensor special = ids.ge(V);                             // [B, T]
  const at::Tensor base = llm->embed(ids.masked_fill(special, 0));  // [B, T, H]
  const at::Tensor rows = special_embed.index_select(0, (ids - V).clamp(0, 2).reshape(-1))
                              .view(base.sizes())
                              .to(base.scalar_type());  // [B, T, H]
  return at::where(special.unsqueeze(-1), rows, base);
}

at::Tensor SetokimModelImpl::image_rows(const SequenceBatch& batch, const at::Tensor& positions,
                                        const at::Tensor& image_tokens) const {
  const at::Tensor b = positions.select(1, 0), t = positions.select(1, 1);  // [N]
  const at::Tensor image = batch.image.index({b, t}), slot = batch.slot.index({b, t});
  if (image.numel() > 0 &&
      (image.ge(image_tokens.size(0)) | slot.ge(image_tokens.size(1))).any().item<bool>()) {
    throw Error("setokim: an image position points past the batch's image tokens " +
                c10::str(image_tokens.sizes()));
  }
  return image_tokens.index({image, slot});  // [N, D]
}

at::Tensor SetokimModelImpl::embed(const SequenceBatch& batch, const at::Tensor& image_tokens,
                                   const at::Tensor& hidden_slots) {
  if (!image_tokens.defined() || image_tokens.dim() != 3 ||
      image_tokens.size(2) != options_.token_dim) {
    throw Error("setokim: image tokens must be [N, L, " + std::to_string(options_.token_dim) +
                "], got " + (image_tokens.defined() ? c10::str(image_tokens.sizes()) : "none"));
  }
  at::Tensor e = embed_ids(batch.input_ids);  // [B, T, H]
  const at::Tensor hidden = (hidden_slots.defined() && options_.image_span == ImageSpan::kMar)
                                ? hidden_slots.to(at::kBool) & batch.output
                                : at::zeros_like(batch.output);           // [B, T]
  const at::Tensor use_token = batch.image.ge(0) & hidden.logical_not();  // [B, T]
  const at::Tensor positions = use_token.nonzero();                       // [N, 2]
  if (positions.size(0) > 0) {
    const at::Tensor projected =
        mm_in_projector->forward(normalize_tokens(image_rows(batch, positions, image_tokens)))
            .to(e.scalar_type());
    e = e.index_put({positions.select(1, 0), positions.select(1, 1)}, projected);
  }
  const at::Tensor masked = hidden.nonzero();  // [M, 2]
  if (masked.size(0) > 0) {
    const at::Tensor b = masked.select(1, 0), t = masked.select(1, 1);
    e = e.index_put({b, t}, hidden_slot_rows(batch.slot.index({b, t})).to(e.scalar_type()));
  }
  return e;
}

void SetokimModelImpl::check_slots(const at::Tensor& slots) const {
  const int64_t M = options_.max_image_tokens;
  if (slots.numel() > 0 && (slots.lt(0) | slots.ge(M)).any().item<bool>()) {
    throw Error("setokim: an output image has more than max_image_tokens = " + std::to_string(M) +
                " slots");
  }
}

at::Tensor SetokimModelImpl::hidden_slot_rows(const at::Tensor& slots) {
  check_slots(slots);
  const at::Tensor target = special_embed[2].view({1, -1});  // [1, H]
  if (options_.image_span != ImageSpan::kMar) return target.expand({slots.size(0), -1});
  return target + slot_embed.index_select(0, slots);  // [N, H]
}

at::Tensor SetokimModelImpl::count_logits(const at::Tensor& hidden) {
  if (!count_head.defined()) throw Error("setokim: only the mar image span predicts counts");
  return at::linear(hidden.to(at::kFloat), count_head);  // [..., M]
}

at::Tensor SetokimModelImpl::condition(const at::Tensor& hidden, const at::Tensor& slots,
                                       const at::Tensor& start) {
  check_slots(slots);
  at::Tensor pre = mm_out_projector->forward(hidden.to(at::kFloat));  // [N, H]
  if (start_proj) {
    if (!start.defined() || start.sizes() != hidden.sizes())
      throw Error("setokim: start_condition needs the <im_start> state of every slot, " +
                  c10::str(hidden.sizes()) + ", got " +
                  (start.defined() ? c10::str(start.sizes()) : "none"));
    pre = pre + start_proj->forward(start.to(at::kFloat));
  }
  const at::Tensor z = z_norm->forward(pre);  // [N, H]
  return z + diffusion_pos_embed.index_select(0, slots.to(z.device()));
}

at::Tensor SetokimModelImpl::attention_spans(const SequenceBatch& batch) const {
  if (options_.image_span != ImageSpan::kMar) return {};
  return batch.spans;
}

at::Tensor SetokimModelImpl::logits(const at::Tensor& hidden) {
  const at::Tensor base = llm->logits(hidden);                                 // [..., V] float32
  const at::Tensor special = at::linear(hidden.to(at::kFloat), special_head);  // [..., 3]
  return at::cat({base, special}, -1);
}

at::Tensor SetokimModelImpl::text_loss(const SequenceBatch& batch, const at::Tensor& hidden,
                                       int64_t& counted) {
  const int64_t T = hidden.size(1);
  // Text: position t predicts the label at t + 1; logits only where a label counts.
  const at::Tensor next = batch.labels.narrow(1, 1, T - 1);         // [B, T-1]
  const at::Tensor text_at = next.ne(llm::kIgnoreIndex).nonzero();  // [N, 2]
  // mar: the count of an output image from the state at its <im_start>.
  const at::Tensor count_at = batch.count.defined() && options_.image_span == ImageSpan::kMar
                                  ? batch.count.gt(0).nonzero()
                                  : at::empty({0, 2}, at::kLong);  // [C, 2]
  counted = text_at.size(0) + count_at.size(0);
  if (counted == 0) return hidden.sum().to(at::kFloat) * 0.0;
  at::Tensor sum = at::zeros({}, at::TensorOptions(at::kFloat).device(hidden.device()));
  if (text_at.size(0) > 0) {
    const at::Tensor b = text_at.select(1, 0), t = text_at.select(1, 1);
    sum = sum + at::cross_entropy_loss(logits(hidden.index({b, t})), next.index({b, t}), {},
                                       at::Reduction::Sum);
  }
  if (count_at.size(0) > 0) {
    const at::Tensor b = count_at.select(1, 0), t = count_at.select(1, 1);
    const at::Tensor count = batch.count.index({b, t});  // [C]
    if (count.gt(options_.max_image_tokens).any().item<bool>()) {
      throw Error("setokim: an output image has more than max_image_tokens = " +
                  std::to_string(options_.max_image_tokens) + " tokens");
    }
    sum = sum + at::cross_entropy_loss(count_logits(hidden.index({b, t})), count - 1, {},
                                       at::Reduction::Sum);
  }
  return sum / static_cast<double>(counted);
}

SetokimLosses SetokimModelImpl::forward(const SequenceBatch& batch, const at::Tensor& image_tokens,
                                        const at::Tensor& hidden_slots,
                                        std::optional<at::Generator> generator,
                                        const at::Tensor& slot_seeds) {
  const bool mar = options_.image_span == ImageSpan::kMar;
  const at::Tensor embeds = embed(batch, image_tokens, hidden_slots);  // [B, T, H]
  SetokimLosses out;
  out.hidden = llm->forward_embeds(embeds, batch.attention_mask, batch.position_ids, nullptr,
                                   llm::LogitsFor::kNone, attention_spans(batch))
                   .hidden;  // [B, T, H]
  out.text = text_loss(batch, out.hidden, out.text_tokens);
  // Diffusion: mar draws each hidden slot from its own position's state; ar draws every slot
  // from the state before it.
  const at::Tensor drawn =
      mar ? batch.output &
                (hidden_slots.defined() ? hidden_slots.to(at::kBool) : at::zeros_like(batch.output))
          : batch.output;
  const at::Tensor slots = drawn.nonzero();  // [N, 2]
  out.diffusion_slots = slots.size(0);
  if (out.diffusion_slots == 0) {
    out.diffusion = out.hidden.sum().to(at::kFloat) * 0.0;
    return out;
  }
  const at::Tensor b = slots.select(1, 0), t = slots.select(1, 1);
  const at::Tensor from = mar ? t : t - 1;  // an output slot always follows its <im_start>
  const at::Tensor slot = batch.slot.index({b, t});
  // Slot j of an output image sits j + 1 positions after its <im_start>.
  const at::Tensor start = start_proj ? out.hidden.index({b, t - slot - 1}) : at::Tensor();
  const at::Tensor z = condition(out.hidden.index({b, from}), slot, start);
  const at::Tensor target = normalize_tokens(image_rows(batch, slots, image_tokens));  // [N, D]
  if (slot_seeds.defined()) {
    const at::Tensor seeds = slot_seeds.to(at::kCPU).index({b.cpu(), t.cpu()});
    out.diffusion = diffloss->forward_seeded(target, z, seeds);  // a group per slot
  } else {
    out.diffusion = diffloss->forward(target, z, {}, generator);
  }
  return out;
}

}  // namespace setok::mllm
