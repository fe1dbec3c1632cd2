#pragma once
// The trained part of Setokim (DESIGN §5.10, docs/setokim.md): the LLaMA backbone, the two
// projectors, the rows of the three special tokens and the MAR diffusion head. The SeTok
// tokenizer and detokenizer around it (frozen, from a stage-1 checkpoint) are the recipe's.
//
// Vocabulary: the LLM keeps its base vocabulary V untouched; <im_start>, <im_end>, <target>
// (ids V, V + 1, V + 2, llm::TextTokenizer's layout) have their own trainable input rows
// (`special_embed`) and output rows (`special_head`), so a frozen base stays bitwise frozen and
// the new rows are small to synchronise. Checkpoint names: llm.*, mm_in_projector.*,
// mm_out_projector.*, special_embed, special_head, z_norm.*, diffusion_pos_embed, diffloss.*,
// and for the mar span count_head and slot_embed — stable, so a stage-2 result seeds stage 3
// (as the original `pretrain_mm_in_mlp_adapter` does).
//
// The diffusion condition of output slot j is MAR's form: z = LayerNorm(mm_out_projector(h)) +
// diffusion_pos_embed[j], h the hidden state that predicts the slot (its own position under
// the mar span, the one before it under ar); MAR normalises its decoder output and adds a learned
// position embedding before its diffusion MLP, so the head sees a condition of a fixed scale that
// also says which slot it draws.
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "setok/diffusion/diffloss.h"
#include "setok/llm/llama_model.h"
#include "setok/mllm/projector.h"
#include "setok/mllm/sequence.h"
#include "setok/mllm/token_norm.h"

namespace setok::mllm {

struct SetokimModelOptions {
  llm::LlamaConfig llm;  // vocab_size = the base vocabulary V
  c10::ScalarType llm_dtype = c10::kFloat;
  int64_t token_dim = 0;  // SeTok token width
  std::string in_projector = "mlp2x_gelu";
  std::string out_projector = "mlp2x_gelu";
  diffusion::DiffLossOptions diffloss;  // target / z widths are filled from the above
  ImageSpan image_span = ImageSpan::kMar;
  int64_t max_image_tokens = 64;  // slots an output image may have (SeTok's max_clusters)
  // The space the model reads and writes SeTok tokens in (token_norm.h); not none: buffers
  // token_shift, token_map, token_unmap, token_norm_fitted, fitted by the recipe.
  TokenNorm token_norm = TokenNorm::kNone;
  // z = LayerNorm(mm_out_projector(h) + start_proj(h_start)) + diffusion_pos_embed[j], h_start
  // the state at the image's <im_start>: the one position that has read the whole prompt and
  // no slot. Without it a slot learns the caption only through its own attention, which a small
  // LLM routes poorly (measured in docs/inference.md). Adds `start_proj` [H, H].
  bool start_condition = false;
};

struct SetokimLosses {
  // Mean cross-entropy over labelled next tokens and (mar) the count predictions at output
  // images' <im_start> (0 when none).
  at::Tensor text;
  at::Tensor diffusion;  // DiffLoss over the drawn output slots (0 when none)
  // text_tokens counts the count predictions too; diffusion_slots: hidden slots (mar), every
  // output slot (ar).
  int64_t text_tokens = 0, diffusion_slots = 0;
  at::Tensor hidden;  // [B, T, H] final hidden states (for callers that need them)
};

class SetokimModelImpl : public torch::nn::Module {
 public:
  // A random LLM from options.llm, or `llm` (e.g. loaded from an HF folder: options.llm and
  // llm_dtype are then taken from it).
  explicit SetokimModelImpl(const SetokimModelOptions& options,
                            llm::LlamaForCausalLM llm = nullptr);

  // ids [B, T] over the base vocabulary and the three specials -> [B, T, H].
  at::Tensor embed_ids(const at::Tensor& ids);
  // The sequence's input embeddings [B, T, H]: text rows; at input-image positions and visible
  // output slots, the projected SeTok token (`image_tokens` [N, L_max, D], indexed by the batch's
  // image / slot indices); at hidden output slots (mar only; `hidden_slots` [B, T] bool),
  // hidden_slot_rows. Under ar every output slot is visible.
  at::Tensor embed(const SequenceBatch& batch, const at::Tensor& image_tokens,
                   const at::Tensor& hidden_slots);
  // The input rows of hidden slots: slots [N] int64 -> [N, H] (the <target> row, plus the
  // learned slot-index embedding under mar).
  at::Tensor hidden_slot_rows(const at::Tensor& slots);
  // hidden [..., H] -> logits [..., V + 3] (float32).
  at::Tensor logits(const at::Tensor& hidden);
  // mar: hidden [..., H] at <im_start> -> [..., max_image_tokens] float32; class c = c + 1 slots.
  at::Tensor count_logits(const at::Tensor& hidden);
  // The diffusion condition: hidden [N, H], slots [N] int64, and under start_condition `start`
  // [N, H], the state at each slot's image's <im_start> -> z [N, H] float32.
  at::Tensor condition(const at::Tensor& hidden, const at::Tensor& slots,
                       const at::Tensor& start = {});
  // The attention spans of a batch under this model's design (undefined for ar).
  at::Tensor attention_spans(const SequenceBatch& batch) const;
  // Text cross-entropy on the labels (shifted by one), the count cross-entropy (mar) and the
  // diffusion loss on the drawn output slots: target = the slot's SeTok token, condition from the
  // hidden state that predicts it. The diffusion draws (timesteps and noise,
  // diffusion_batch_mul of each per slot) come from `slot_seeds` [B, T] int64 when given — one
  // seed per slot, so a slot's draws do not depend on the batch it is in — else from
  // `generator`.
  SetokimLosses forward(const SequenceBatch& batch, const at::Tensor& image_tokens,
                        const at::Tensor& hidden_slots,
                        std::optional<at::Generator> generator = std::nullopt,
                        const at::Tensor& slot_seeds = {});

  // Sets the special rows to the mean of the LLM's rows (after loading pretrained weights).
  void reset_special_rows();

  // SeTok tokens [..., D] <-> the model's token space (identity under TokenNorm::kNone). Every
  // token the model reads (embed) and every diffusion target is normalised; the image sampler
  // draws in the model's space and returns SeTok tokens.
  at::Tensor normalize_tokens(const at::Tensor& tokens) const;
  at::Tensor denormalize_tokens(const at::Tensor& tokens) const;
  // Whether the map is fitted (always under kNone); a checkpoint carries it.
  bool token_norm_fitted() const;
  void set_token_norm(const TokenNormFit& fit);

  int64_t base_vocab() const { return options_.llm.vocab_size; }
  const SetokimModelOptions& options() const { return options_; }

  llm::LlamaForCausalLM llm{nullptr};
  Projector mm_in_projector{nullptr};
  Projector mm_out_projector{nullptr};
  at::Tensor special_embed;  // [3, H]: <im_start>, <im_end>, <target>
  at::Tensor special_head;   // [3, H]
  torch::nn::LayerNorm z_norm{nullptr};
  torch::nn::Linear start_proj{nullptr};  // start_condition: [H, H]
  at::Tensor diffusion_pos_embed;         // [max_image_tokens, H]
  at::Tensor count_head;                  // mar: [max_image_tokens, H]
  at::Tensor slot_embed;                  // mar: [max_image_tokens, H]
  diffusion::DiffLoss diffloss{nullptr};
  at::Tensor token_shift;         // token norm: [D]
  at::Tensor token_map;           // token norm: [D, D]
  at::Tensor token_unmap;         // token norm: [D, D]
  at::Tensor token_norm_fitted_;  // token norm: [] int64, 1 once fitted

 private:
  // (b, t) of every position holding a token of an image, and that token's row.
  at::Tensor image_rows(const SequenceBatch& batch, const at::Tensor& positions,
                        const at::Tensor& image_tokens) const;
  // Slot indices in [0, max_image_tokens), else an error.
  void check_slots(const at::Tensor& slots) const;
  at::Tensor text_loss(const SequenceBatch& batch, const at::Tensor& hidden, int64_t& counted);
  SetokimModelOptions options_;
};
TORCH_MODULE(SetokimModel);

}  // namespace setok::mllm
