#pragma once
// SigLIP vision tower with HF SiglipVisionTransformer semantics and parameter names (the HF
// checkpoint names minus the "vision_model." prefix):
//   embeddings.patch_embedding (Conv2d, no CLS token) + embeddings.position_embedding
//   encoder.layers.N (pre-norm blocks)  ->  post_layernorm  ->  head (attention pooling)
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "setok/nn/mlp.h"
#include "setok/nn/transformer.h"
#include "setok/vision/siglip_config.h"

namespace setok::vision {

// Shared by the vision and text towers.
nn::TransformerOptions tower_options(int64_t hidden, int64_t heads, int64_t intermediate,
                                     const std::string& act, double eps, double attn_dropout);

class SiglipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionEmbeddingsImpl(const SiglipVisionConfig& config);
  // pixel_values [B, C, H, W] (H = W = image_size) -> [B, N, D], N = (image/patch)^2, raster order
  at::Tensor forward(const at::Tensor& pixel_values);

  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};

 private:
  SiglipVisionConfig config_;
};
TORCH_MODULE(SiglipVisionEmbeddings);

// torch.nn.MultiheadAttention's parameter layout (packed q/k/v in in_proj_weight / in_proj_bias,
// then out_proj), batch first. Only the pooling head uses it.
class PackedAttentionImpl : public torch::nn::Module {
 public:
  PackedAttentionImpl(int64_t dim, int64_t heads);
  // query [B, Lq, D], kv [B, S, D] -> [B, Lq, D]
  at::Tensor forward(const at::Tensor& query, const at::Tensor& kv);

  at::Tensor in_proj_weight;  // [3D, D]
  at::Tensor in_proj_bias;    // [3D]
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t dim_, heads_;
};
TORCH_MODULE(PackedAttention);

// Multihead attention pooling ("MAP" head): a learned probe attends over the tokens.
class SiglipPoolingHeadImpl : public torch::nn::Module {
 public:
  explicit SiglipPoolingHeadImpl(const SiglipVisionConfig& config);
  at::Tensor forward(const at::Tensor& hidden);  // [B, N, D] -> [B, D]

  at::Tensor probe;  // [1, 1, D]
  PackedAttention attention{nullptr};
  torch::nn::LayerNorm layernorm{nullptr};
  nn::Mlp mlp{nullptr};
};
TORCH_MODULE(SiglipPoolingHead);

struct SiglipVisionOutput {
  std::vector<at::Tensor> hidden_states;  // embeddings, then each layer: [B, N, D] (if asked)
  at::Tensor last_hidden_state;           // after post_layernorm [B, N, D]
  at::Tensor pooler_output;               // [B, D] (undefined without a head)
};

class SiglipVisionModelImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionModelImpl(const SiglipVisionConfig& config);

  SiglipVisionOutput forward(const at::Tensor& pixel_values, bool output_hidden_states = false);

  // hidden_states[select_layer] only, running just the layers it needs: 0 = embeddings,
  // k = output of layer k, negative counts from the end (-1 = last layer, before
  // post_layernorm). [B, C, H, W] -> [B, N, D]
  at::Tensor features(const at::Tensor& pixel_values, int64_t select_layer = -1);

  const SiglipVisionConfig& config() const { return config_; }
  // Throws setok::Error unless pixel_values is [B, num_channels, image_size, image_size] float.
  void check_pixels(const at::Tensor& pixel_values) const;

  SiglipVisionEmbeddings embeddings{nullptr};
  nn::Transformer encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
  SiglipPoolingHead head{nullptr};

 private:
  SiglipVisionConfig config_;
};
TORCH_MODULE(SiglipVisionModel);

}  // namespace setok::vision
