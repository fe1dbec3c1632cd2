#pragma once
// Setokim's image sampler (docs/inference.md): from the cached prefix of rows that have just
// written <im_start>, the count and SeTok tokens of each row's output image, under the model's
// image span. It owns the KV cache of the prefix and the slot conditions, as MAR's
// `sample_tokens` owns its loop; infer/ builds the prefix and renders the tokens.
//
//   mar: the count from the state at <im_start> (count_logits, greedy; `num_tokens` forces it),
//        then `mar.num_iter` MAR steps; each re-runs the LLM over the whole span on the cached
//        prefix with the span bidirectional (hidden slots: hidden_slot_rows; revealed slots:
//        their projected token), as training sees it, and DiffLoss samples the slots revealed at
//        that step from condition(state of the slot, slot).
//   ar:  raster order, one cached LLM step a slot: the last state conditions the next token and
//        decides "another slot" (<target> at least as likely as <im_end>; at least one slot, at
//        most `max_tokens`; `num_tokens` forces the count); the projected sample is fed back.
//        The count is unknown while drawing, so guidance is constant (mar.cfg).
//
// Guidance (mar.cfg != 1): rows [V, 2V) of the prefix are the unconditional partners of rows
// [0, V); a partner gets the same count and sees the same slots, and gives the unconditional
// condition at every step. Each conditional row has its own generator (order and noise), so a
// row's draws do not depend on the batch around it.
#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "setok/diffusion/mar_sampler.h"
#include "setok/llm/kv_cache.h"
#include "setok/mllm/setokim_model.h"

namespace setok::mllm {

struct ImagePrefix {
  at::Tensor embeds;          // [R, P, H], left-padded, each row ending with <im_start>
  at::Tensor attention_mask;  // [R, P] int64, 1 = real
  int64_t conditional = 0;    // V: rows [0, V) draw; rows [V, R) are their partners (R = 2V)
};

struct ImageSamplingOptions {
  int64_t max_tokens = 64;  // slots at most (also capped by the model's max_image_tokens)
  int64_t num_tokens = 0;   // > 0: exactly this many
  diffusion::MarSamplerOptions mar;
};

struct SampledImages {
  std::vector<int64_t> counts;  // per conditional row
  at::Tensor tokens;            // [V, N_max, D] float32; zeros past a row's count
};

// mar: the span of V images (and their partners) over a cached prefix. conditions() is one LLM
// pass over the span in a given state, exactly as training's forward sees it (the same rows for
// hidden and revealed slots, the same bidirectional span, positions continuing the prefix), and
// returns every slot's diffusion condition; the sampler calls it once a step.
class MarSpan {
 public:
  // Runs the prefix into the cache.
  MarSpan(SetokimModelImpl& model, const ImagePrefix& prefix);
  // The state at each row's <im_start>: [R, H] (where the count is read).
  const at::Tensor& last_prefix_state() const { return last_; }
  // counts [V]: each image's slots (partners share their image's count).
  void set_counts(const std::vector<int64_t>& counts);
  // tokens [V, N, D] (any values where hidden), hidden [V, N] bool -> z [R, N, H] float32.
  at::Tensor conditions(const at::Tensor& tokens, const at::Tensor& hidden);

 private:
  SetokimModelImpl& model_;
  llm::KvCache cache_;
  int64_t rows_, conditional_, prefix_, slots_ = 0;
  at::Tensor prefix_mask_, attention_, spans_, slot_ids_, hidden_rows_, last_;
  c10::ScalarType dtype_;
};

SampledImages sample_image_tokens(SetokimModelImpl& model, const ImagePrefix& prefix,
                                  const ImageSamplingOptions& options,
                                  std::vector<at::Generator> generators);

}  // namespace setok::mllm
