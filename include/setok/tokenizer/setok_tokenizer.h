#pragma once
// SeTok: images -> a variable number of semantic tokens per image (DESIGN §2, §5.2-§5.5).
//   pixels [B, 3, S, S] -> SigLIP hidden state [B, N, C] (+ 2-D position encoding)
//   -> DPC-KNN clusters (no grad) -> token merger -> tokens [B, L_max, D] + mask [B, L_max]
#include <filesystem>
#include <optional>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/tokenizer/dpc_knn.h"
#include "setok/tokenizer/token_merger.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/vision/siglip_vision.h"
#include "setok/vision/vision_config.h"

namespace setok::tokenizer {

struct SetokTokens {
  at::Tensor tokens;  // [B, L_max, D] (padded slots zero)
  at::Tensor mask;    // [B, L_max] bool
  Clusters clusters;  // assignment [B, N], counts [B], scores [B, N], centres [B, L_max]
  int64_t grid_h = 0, grid_w = 0;  // patch grid (N = grid_h * grid_w, raster order)
};

class SetokTokenizerImpl : public torch::nn::Module {
 public:
  // Builds the tower (random or from vision.pretrained, loaded strictly) and the merger.
  SetokTokenizerImpl(const vision::VisionConfig& vision, const TokenizerConfig& config);

  // pixels [B, 3, S, S] (normalised) -> tokens. token_mask [B, N] bool marks the patches that
  // hold image content (vision::content_patch_mask); undefined = all. Masked patches (letterbox
  // padding) are never clustered: their assignment is -1 and no token sees them.
  // `sample_index` (one per image, e.g. the trainer's global sample indices): each image's
  // clustering tie-break noise comes from (run seed, its index) instead of the noise stream, so
  // an image draws the same noise in any batch, on any rank.
  SetokTokens forward(const at::Tensor& pixel_values, const at::Tensor& token_mask = {},
                      const std::vector<int64_t>& sample_index = {});
  // The same from precomputed tower features [B, N, C] on a grid_h x grid_w patch grid.
  SetokTokens forward_features(const at::Tensor& features, int64_t grid_h, int64_t grid_w,
                               const at::Tensor& token_mask = {},
                               const std::vector<int64_t>& sample_index = {});
  // Tower features [B, N, C]; without gradients when the tower is frozen.
  at::Tensor encode(const at::Tensor& pixel_values);
  // The merger alone over `features` [B, N, C] with the clusters of an earlier forward (same
  // grid): tokens from other features (e.g. detached ones) for the same grouping.
  SetokTokens merge(const at::Tensor& features, const SetokTokens& clustered);

  // kBatched: one batched clustering and merger pass. kLoop: clustering per image and the
  // merger per image and cluster, the released code's structure (oracle / benchmark baseline).
  // The config's merge_mode initially.
  void set_merge_mode(MergeMode mode) { mode_ = mode; }
  MergeMode merge_mode() const { return mode_; }
  bool tower_trainable() const { return trainable_; }
  const TokenizerConfig& config() const { return config_; }
  int64_t feature_dim() const { return vision_tower->config().hidden_size; }
  int64_t token_dim() const;
  // The clustering tie-break noise stream (its state is part of a training checkpoint).
  at::Generator& noise_generator() { return noise_; }

  vision::SiglipVisionModel vision_tower{nullptr};
  TokenMerger merger{nullptr};

 private:
  TokenizerConfig config_;
  DpcKnnOptions clustering_;
  int64_t select_layer_;
  bool trainable_;
  MergeMode mode_;
  at::Tensor with_position(const at::Tensor& features, int64_t grid_h, int64_t grid_w);
  at::Generator noise_;        // tie-break noise stream, seeded from the run seed
  at::Tensor position_cache_;  // [1, h * w, C] for the last grid (h, w) / device / dtype used
  int64_t cache_h_ = 0, cache_w_ = 0;
};
TORCH_MODULE(SetokTokenizer);

}  // namespace setok::tokenizer

namespace setok::tokenizer {

// Loads tokenizer weights strictly from `path`: a .safetensors file, a step folder or a run /
// checkpoints folder (its latest step's model.safetensors). A full SeTok state (names
// "tokenizer.*") and a tokenizer-only state are both accepted; other "*" entries of a full
// state (detokenizer, losses) are ignored. A training checkpoint that refers to its frozen base
// (trainer.json "base") holds only what trained: the frozen tower keeps the weights the
// tokenizer was built with (model.vision.pretrained), which must have the fingerprint the run
// recorded.
void load_tokenizer_weights(SetokTokenizerImpl& tokenizer, const std::filesystem::path& path);

}  // namespace setok::tokenizer
