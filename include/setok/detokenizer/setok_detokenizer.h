#pragma once
// SeTok's detokenizer (DESIGN §5.6): tokens [B, L, D] + mask [B, L] -> image [B, 3, H, W].
//   token_proj (D -> Hq) -> Q-Former: (H/p)^2 learned queries cross-attend to the tokens
//   -> decoder_in (Hq -> Dd) + 2-D position encoding -> pre-norm ViT blocks -> decoder_norm
//   -> head: "pixels"    pixel_head (Dd -> p*p*3), unpatchified;
//            "diffusion" a per-patch DiffLoss conditioned on the decoder output.
// Pixels are in [-1, 1]; the pixel head is unbounded in training and clamped in decode().
#include <filesystem>
#include <optional>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "setok/detokenizer/detokenizer_config.h"
#include "setok/detokenizer/qformer.h"
#include "setok/diffusion/diffloss.h"
#include "setok/nn/transformer.h"

namespace setok::detokenizer {

// [B, 3, H, W] -> [B, (H/p)(W/p), p*p*3]; each patch vector is (row, column, channel) order.
at::Tensor patchify(const at::Tensor& images, int64_t patch);
// Inverse of patchify for a square grid.
at::Tensor unpatchify(const at::Tensor& patches, int64_t patch);

class SetokDetokenizerImpl : public torch::nn::Module {
 public:
  SetokDetokenizerImpl(const DetokenizerConfig& config, int64_t token_dim);

  // tokens [B, L, D], mask [B, L] bool (undefined = all real) -> decoder features [B, Nq, Dd]
  at::Tensor features(const at::Tensor& tokens, const at::Tensor& mask = {});
  // Pixel head output [B, 3, H, W], unclamped (training). Error for the diffusion head.
  at::Tensor predict_pixels(const at::Tensor& tokens, const at::Tensor& mask = {});
  // Diffusion head training loss against target images [B, 3, H, W] in [-1, 1]. With
  // image_seeds [B] int64, each image's patches draw their timesteps and noise from its own seed
  // (DiffLoss::forward_seeded); otherwise from `gen` (or torch's default generator).
  at::Tensor diffusion_loss(const at::Tensor& tokens, const at::Tensor& mask,
                            const at::Tensor& target,
                            std::optional<at::Generator> gen = std::nullopt,
                            const at::Tensor& image_seeds = {});
  // Images [B, 3, H, W] in [-1, 1]: the pixel head clamped, or the diffusion head sampled.
  at::Tensor decode(const at::Tensor& tokens, const at::Tensor& mask = {},
                    std::optional<at::Generator> gen = std::nullopt);

  const DetokenizerConfig& config() const { return config_; }
  bool diffusion_head() const { return config_.head == "diffusion"; }

  torch::nn::Linear token_proj{nullptr};
  at::Tensor queries;  // [1, Nq, Hq]
  QFormer qformer{nullptr};
  torch::nn::Linear decoder_in{nullptr};
  nn::Transformer decoder{nullptr};
  torch::nn::LayerNorm decoder_norm{nullptr};
  torch::nn::Linear pixel_head{nullptr};
  diffusion::DiffLoss diffloss{nullptr};

 private:
  DetokenizerConfig config_;
  int64_t token_dim_;
  at::Tensor position_cache_;
};
TORCH_MODULE(SetokDetokenizer);

// The detokenizer's weights from a stage-1 run or step folder (its detokenizer.* tensors).
void load_detokenizer_weights(SetokDetokenizerImpl& detokenizer,
                              const std::filesystem::path& folder);

}  // namespace setok::detokenizer
