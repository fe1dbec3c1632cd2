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
  diffusion::DiffLossOptions d = options_.diffloss;
  d.target_channels = o.token_dim;
  d.z_channels = H;
  diffloss = register_module("diffloss", diffusion::DiffLoss(d));
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
  at::Tensor e = embed_ids(batch.input_ids);  // [B, T, H]; hidden slots: the <target> row
  const at::Tensor hidden =
      hidden_slots.defined() ? hidden_slots.to(at::kBool) : at::zeros_like(batch.output);
  const at::Tensor use_token = batch.image.ge(0) & hidden.logical_not();  // [B, T]
  const at::Tensor positions = use_token.nonzero();                       // [N, 2]
  if (positions.size(0) == 0) return e;
  const at::Tensor projected =
      mm_in_projector->forward(image_rows(batch, positions, image_tokens)).to(e.scalar_type());
  return e.index_put({positions.select(1, 0), positions.select(1, 1)}, projected);
}

at::Tensor SetokimModelImpl::logits(const at::Tensor& hidden) {
  const at::Tensor base = llm->logits(hidden);                                 // [..., V] float32
  const at::Tensor special = at::linear(hidden.to(at::kFloat), special_head);  // [..., 3]
  return at::cat({base, special}, -1);
}

SetokimLosses SetokimModelImpl::forward(const SequenceBatch& batch, const at::Tensor& image_tokens,
                                        const at::Tensor& hidden_slots,
                                        std::optional<at::Generator> generator,
                                        const at::Tensor& slot_seeds) {
  const at::Tensor embeds = embed(batch, image_tokens, hidden_slots);  // [B, T, H]
  SetokimLosses out;
  out.hidden = llm->forward_embeds(embeds, batch.attention_mask, batch.position_ids, nullptr,
                                   llm::LogitsFor::kNone)
                   .hidden;  // [B, T, H]
  const int64_t T = out.hidden.size(1);
  // Text: position t predicts the label at t + 1; logits only where a label counts.
  const at::Tensor next = batch.labels.narrow(1, 1, T - 1);  // [B, T-1]
  const at::Tensor counted = next.ne(llm::kIgnoreIndex);
  out.text_tokens = counted.sum().item<int64_t>();
  if (out.text_tokens > 0) {
    const at::Tensor at_pos = counted.nonzero();  // [N, 2]
    const at::Tensor h = out.hidden.index({at_pos.select(1, 0), at_pos.select(1, 1)});
    out.text =
        at::cross_entropy_loss(logits(h), next.index({at_pos.select(1, 0), at_pos.select(1, 1)}));
  } else {
    out.text = out.hidden.sum().to(at::kFloat) * 0.0;
  }
  // Diffusion: each hidden output slot, from its own position's hidden state.
  const at::Tensor slots = (batch.output & (hidden_slots.defined() ? hidden_slots.to(at::kBool)
                                                                   : at::zeros_like(batch.output)))
                               .nonzero();  // [N, 2]
  out.hidden_slots = slots.size(0);
  if (out.hidden_slots > 0) {
    const at::Tensor z = mm_out_projector->forward(
        out.hidden.index({slots.select(1, 0), slots.select(1, 1)}).to(at::kFloat));
    const at::Tensor target = image_rows(batch, slots, image_tokens).to(at::kFloat);
    if (slot_seeds.defined()) {
      const at::Tensor seeds =
          slot_seeds.to(at::kCPU).index({slots.select(1, 0).cpu(), slots.select(1, 1).cpu()});
      out.diffusion = diffloss->forward_seeded(target, z, seeds);  // a group per slot
    } else {
      out.diffusion = diffloss->forward(target, z, {}, generator);
    }
  } else {
    out.diffusion = out.hidden.sum().to(at::kFloat) * 0.0;
  }
  return out;
}

}  // namespace setok::mllm
