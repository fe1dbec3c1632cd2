#pragma once
// LLaMA causal LM with HF LlamaForCausalLM names (model.embed_tokens, model.layers.N.*,
// model.norm, lm_head), so HF checkpoints load without renaming and PEFT adapter names line up.
//
// Padding: `attention_mask` [B, past + T] (1 = real token) covers the cached prefix and the new
// tokens; left and right padding both work. Position ids default to the number of real tokens
// before each position (cumsum(mask) - 1), so a padded row sees the same positions as the
// unpadded sequence; without a mask they are past .. past + T - 1.
//
// Bidirectional spans: `spans` [B, past + T] int64 gives positions a span id (-1 = none);
// a query also sees every key of its own span, later ones included (Setokim's output images
// under MAR-style masking). Attention stays causal everywhere else.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include "setok/llm/llama_block.h"
#include "setok/llm/llama_config.h"

namespace setok::llm {

class KvCache;

class LlamaModelImpl : public torch::nn::Module {
 public:
  LlamaModelImpl(const LlamaConfig& config, c10::ScalarType dtype);

  // embeds [B, T, D] -> final-norm hidden states [B, T, D].
  at::Tensor forward(const at::Tensor& embeds, const at::Tensor& attention_mask,
                     const at::Tensor& position_ids, KvCache* cache, const at::Tensor& spans = {});

  // Recompute each decoder layer in backward instead of storing its activations (training
  // with grad mode on and no KV cache; nn/checkpoint).
  void set_gradient_checkpointing(bool on) { checkpointing_ = on; }
  bool gradient_checkpointing() const { return checkpointing_; }

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  nn::RmsNorm norm{nullptr};

 private:
  bool checkpointing_ = false;
  std::vector<LlamaBlock> blocks_;
  at::Tensor inv_freq_;  // [E/2] float32, not a parameter (HF keeps it out of checkpoints too)
};
TORCH_MODULE(LlamaModel);

enum class LogitsFor { kAll, kLast, kNone };

struct LlamaOutput {
  at::Tensor hidden;  // [B, T, D] after the final norm
  at::Tensor logits;  // [B, T, V], [B, 1, V] (kLast) or undefined (kNone), float32
};

class LlamaForCausalLMImpl : public torch::nn::Module {
 public:
  // Random initialisation as HF's: normal(0, initializer_range) for linears and embeddings,
  // ones for norms, zeros for biases.
  explicit LlamaForCausalLMImpl(const LlamaConfig& config, c10::ScalarType dtype = c10::kFloat);

  // input_ids [B, T] (0 <= id < vocab; an out-of-range id, e.g. the <image> marker -200, is an
  // error) -> embeddings [B, T, D].
  at::Tensor embed(const at::Tensor& input_ids);
  LlamaOutput forward_embeds(const at::Tensor& embeds, const at::Tensor& attention_mask = {},
                             const at::Tensor& position_ids = {}, KvCache* cache = nullptr,
                             LogitsFor which = LogitsFor::kAll, const at::Tensor& spans = {});
  // input_ids [B, T] -> logits [B, T, V] (float32).
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                     const at::Tensor& position_ids = {}, KvCache* cache = nullptr);
  // hidden [..., D] -> logits [..., V] in float32.
  at::Tensor logits(const at::Tensor& hidden);

  // Grows the vocabulary to `vocab_size` rows, the new rows set to the mean of the existing
  // ones (embedding and, when untied, lm_head). Shrinking is an error.
  void resize_token_embeddings(int64_t vocab_size);
  void init_weights();

  int64_t vocab_size() const { return config_.vocab_size; }
  const LlamaConfig& config() const { return config_; }
  c10::ScalarType dtype() const { return model->embed_tokens->weight.scalar_type(); }
  KvCache make_cache(int64_t capacity = 0) const;

  LlamaModel model{nullptr};
  nn::LoraLinear lm_head{nullptr};  // absent when tie_word_embeddings

 private:
  LlamaConfig config_;
};
TORCH_MODULE(LlamaForCausalLM);

}  // namespace setok::llm
