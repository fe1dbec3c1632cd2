#pragma once
// SigLIP text tower with HF SiglipTextTransformer semantics and names (minus "text_model."):
//   embeddings.token_embedding + embeddings.position_embedding -> encoder.layers.N ->
//   final_layer_norm -> head (Linear) applied to the last token.
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "setok/nn/transformer.h"
#include "setok/vision/siglip_config.h"

namespace setok::vision {

class SiglipTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit SiglipTextEmbeddingsImpl(const SiglipTextConfig& config);
  at::Tensor forward(const at::Tensor& input_ids);  // [B, T] -> [B, T, D]

  torch::nn::Embedding token_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(SiglipTextEmbeddings);

struct SiglipTextOutput {
  std::vector<at::Tensor> hidden_states;  // embeddings, then each layer [B, T, D] (if asked)
  at::Tensor last_hidden_state;           // after final_layer_norm [B, T, D]
  at::Tensor pooler_output;               // head(last token) [B, P]
};

class SiglipTextModelImpl : public torch::nn::Module {
 public:
  explicit SiglipTextModelImpl(const SiglipTextConfig& config);

  // input_ids [B, T] (T <= max_position_embeddings, ids < vocab_size); attention_mask [B, T]
  // (1 = token) or undefined: SigLIP itself is trained without one, on fixed-length padded text.
  SiglipTextOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask = {},
                           bool output_hidden_states = false);

  const SiglipTextConfig& config() const { return config_; }

  SiglipTextEmbeddings embeddings{nullptr};
  nn::Transformer encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  SiglipTextConfig config_;
};
TORCH_MODULE(SiglipTextModel);

}  // namespace setok::vision
