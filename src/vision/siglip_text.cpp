#include "setok/vision/siglip_text.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"
#include "setok/vision/siglip_init.h"
#include "setok/vision/siglip_vision.h"

namespace setok::vision {

SiglipTextEmbeddingsImpl::SiglipTextEmbeddingsImpl(const SiglipTextConfig& config) {
  token_embedding = register_module("token_embedding",
                                    torch::nn::Embedding(config.vocab_size, config.hidden_size));
  position_embedding =
      register_module("position_embedding",
                      torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
}

at::Tensor SiglipTextEmbeddingsImpl::forward(const at::Tensor& input_ids) {
  const int64_t T = input_ids.size(1);
  return token_embedding->forward(input_ids) +
         position_embedding->weight.narrow(0, 0, T).unsqueeze(0);  // [B, T, D]
}

SiglipTextModelImpl::SiglipTextModelImpl(const SiglipTextConfig& config) : config_(config) {
  config.check("siglip text config");
  embeddings = register_module("embeddings", SiglipTextEmbeddings(config));
  encoder = register_module(
      "encoder", nn::Transformer(tower_options(config.hidden_size, config.num_attention_heads,
                                               config.intermediate_size, config.hidden_act,
                                               config.layer_norm_eps, config.attention_dropout),
                                 config.num_hidden_layers));
  final_layer_norm = register_module(
      "final_layer_norm",
      torch::nn::LayerNorm(
          torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
  head = register_module("head", torch::nn::Linear(config.hidden_size, config.projection()));
  init_siglip_weights(*this);
}

SiglipTextOutput SiglipTextModelImpl::forward(const at::Tensor& input_ids,
                                              const at::Tensor& attention_mask,
                                              bool output_hidden_states) {
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.size(1) == 0 ||
      input_ids.scalar_type() != at::kLong) {
    throw Error("text tower: expected int64 token ids [B, T], got " +
                (input_ids.defined()
                     ? c10::str(input_ids.sizes()) + " " + c10::toString(input_ids.scalar_type())
                     : std::string("undefined")));
  }
  if (input_ids.size(1) > config_.max_position_embeddings) {
    throw Error("text tower: " + std::to_string(input_ids.size(1)) +
                " tokens exceed max_position_embeddings " +
                std::to_string(config_.max_position_embeddings));
  }
  if (input_ids.min().item<int64_t>() < 0 ||
      input_ids.max().item<int64_t>() >= config_.vocab_size) {
    throw Error("text tower: token ids must be in [0, " + std::to_string(config_.vocab_size) + ")");
  }
  SiglipTextOutput out;
  const at::Tensor x = embeddings->forward(input_ids);  // [B, T, D]
  const at::Tensor h = encoder->forward(x, attention_mask, false, -1,
                                        output_hidden_states ? &out.hidden_states : nullptr);
  out.last_hidden_state = final_layer_norm->forward(h);                    // [B, T, D]
  out.pooler_output = head->forward(out.last_hidden_state.select(1, -1));  // [B, P]
  return out;
}

}  // namespace setok::vision
