#include "setok/tokenizer/setok_tokenizer.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "setok/io/checkpoint.h"
#include "setok/io/json.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/tokenizer/fixed_grid.h"
#include "setok/tokenizer/position_encoding.h"
#include "setok/vision/siglip_loader.h"

namespace setok::tokenizer {

SetokTokenizerImpl::SetokTokenizerImpl(const vision::VisionConfig& vision,
                                       const TokenizerConfig& config)
    : config_(config),
      clustering_(config.clustering()),
      select_layer_(vision.select_layer),
      trainable_(vision.trainable),
      mode_(parse_merge_mode(config.merge_mode)),
      noise_(runtime::make_cpu_generator("tokenizer.dpc_knn.tie_noise")) {
  vision_tower = register_module(
      "vision_tower", vision.pretrained.empty() ? vision::SiglipVisionModel(vision.architecture())
                                                : vision::load_siglip_vision(vision.pretrained));
  const int64_t c = vision_tower->config().hidden_size;
  if (c % config.heads != 0) {
    throw Error("model.tokenizer.heads: " + std::to_string(config.heads) +
                " does not divide the vision feature width " + std::to_string(c));
  }
  merger = register_module("merger", TokenMerger(config.merger(c)));
  if (!trainable_) {
    for (auto& p : vision_tower->parameters()) p.requires_grad_(false);
  }
}

int64_t SetokTokenizerImpl::token_dim() const {
  return merger->out->weight.size(0);
}

at::Tensor SetokTokenizerImpl::encode(const at::Tensor& pixel_values) {
  if (trainable_) return vision_tower->features(pixel_values, select_layer_);
  at::NoGradGuard no_grad;
  return vision_tower->features(pixel_values, select_layer_);
}

SetokTokens SetokTokenizerImpl::forward(const at::Tensor& pixel_values,
                                        const at::Tensor& token_mask,
                                        const std::vector<int64_t>& sample_index) {
  const int64_t g = vision_tower->config().grid();
  return forward_features(encode(pixel_values), g, g, token_mask, sample_index);
}

namespace {

// [B, N] uniform noise, row b from its own generator seeded by (run seed, sample_index[b]).
at::Tensor per_sample_noise(const std::vector<int64_t>& sample_index, int64_t B, int64_t N) {
  if (static_cast<int64_t>(sample_index.size()) != B) {
    throw Error("tokenizer: " + std::to_string(sample_index.size()) + " sample indices for " +
                std::to_string(B) + " images");
  }
  std::vector<at::Tensor> rows;
  for (int64_t index : sample_index) {
    at::Generator gen = runtime::make_cpu_generator("tokenizer.dpc_knn.tie_noise.sample",
                                                    static_cast<uint64_t>(index));
    rows.push_back(at::rand({N}, gen, at::kFloat));
  }
  return at::stack(rows);  // [B, N]
}

}  // namespace

SetokTokens SetokTokenizerImpl::forward_features(const at::Tensor& features, int64_t grid_h,
                                                 int64_t grid_w, const at::Tensor& token_mask,
                                                 const std::vector<int64_t>& sample_index) {
  if (!features.defined() || features.dim() != 3 || features.size(1) != grid_h * grid_w ||
      features.size(2) != feature_dim()) {
    throw Error("tokenizer: expected features [B, " + std::to_string(grid_h * grid_w) + ", " +
                std::to_string(feature_dim()) + "], got " +
                (features.defined() ? c10::str(features.sizes()) : "undefined"));
  }
  const at::Tensor x = with_position(features, grid_h, grid_w);  // [B, N, C]
  SetokTokens out;
  out.grid_h = grid_h;
  out.grid_w = grid_w;
  // Clustering sees the features but never passes gradients (dpc_knn detaches).
  const auto noise = clustering_.tie_noise ? std::optional(noise_) : std::nullopt;
  if (config_.mode == "fixed") {
    out.clusters =
        fixed_grid_clusters(x.size(0), grid_h, grid_w, config_.grid, token_mask, x.device());
  } else {
    const at::Tensor tie_noise = clustering_.tie_noise && !sample_index.empty()
                                     ? per_sample_noise(sample_index, x.size(0), x.size(1))
                                     : at::Tensor();
    out.clusters = mode_ == MergeMode::kBatched
                       ? dpc_knn(x, clustering_, noise, token_mask, tie_noise)
                       : dpc_knn_per_image(x, clustering_, noise, token_mask, tie_noise);
  }
  MergedTokens merged = merger->forward(x, out.clusters.assignment, out.clusters.counts, mode_);
  out.tokens = merged.tokens;
  out.mask = merged.mask;
  return out;
}

SetokTokens SetokTokenizerImpl::merge(const at::Tensor& features, const SetokTokens& clustered) {
  SetokTokens out;
  out.grid_h = clustered.grid_h;
  out.grid_w = clustered.grid_w;
  out.clusters = clustered.clusters;
  const at::Tensor x = with_position(features, out.grid_h, out.grid_w);  // [B, N, C]
  MergedTokens merged = merger->forward(x, out.clusters.assignment, out.clusters.counts, mode_);
  out.tokens = merged.tokens;
  out.mask = merged.mask;
  return out;
}

at::Tensor SetokTokenizerImpl::with_position(const at::Tensor& features, int64_t grid_h,
                                             int64_t grid_w) {
  if (!config_.position_encoding) return features;
  const int64_t N = grid_h * grid_w, C = features.size(2);
  if (!position_cache_.defined() || cache_h_ != grid_h || cache_w_ != grid_w ||
      position_cache_.device() != features.device() ||
      position_cache_.scalar_type() != features.scalar_type()) {
    position_cache_ = position_encoding_2d(grid_h, grid_w, C, features.device())  // [h, w, C]
                          .view({1, N, C})
                          .to(features.scalar_type());
    cache_h_ = grid_h;
    cache_w_ = grid_w;
  }
  return features + position_cache_;  // [B, N, C]
}

}  // namespace setok::tokenizer

namespace setok::tokenizer {

void load_tokenizer_weights(SetokTokenizerImpl& tokenizer, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  fs::path file = path;
  io::Json base;  // the frozen base a training checkpoint refers to
  if (fs::is_directory(path)) {
    const fs::path step = io::resolve_checkpoint(path);
    file = fs::exists(step / "model.safetensors") ? step / "model.safetensors" : step;
    if (fs::exists(step / "trainer.json")) {
      const io::Json state = io::read_json(step / "trainer.json");
      if (state.contains("base")) base = state["base"];
    }
  }
  const io::TensorStore store = io::TensorStore::open(file);
  io::LoadOptions options;
  const auto names = store.names();
  const bool full = std::any_of(names.begin(), names.end(),
                                [](const std::string& n) { return n.rfind("tokenizer.", 0) == 0; });
  if (full) options.name_map.prefix("tokenizer.", "").ignore(R"((?!tokenizer\.).*)");
  if (base.is_null()) {
    io::load_state(tokenizer, store, options);  // a complete state
    return;
  }
  // A training checkpoint holds what trained; the frozen tower comes from the config
  // (model.vision.pretrained) and must be the one it was trained with.
  const std::string want = base.contains("parts") && base["parts"].contains("tokenizer")
                               ? base["parts"]["tokenizer"].get<std::string>()
                               : "";
  const std::string have = io::frozen_fingerprint(tokenizer, "tokenizer.");  // as recorded
  if (!want.empty() && want != have) {
    throw Error(path.string() + ": trained on the frozen tokenizer weights of '" +
                base.value("source", "?") + "' (fingerprint " + want +
                "), but the configured ones differ (fingerprint " + have +
                "): set model.vision.pretrained to the base the run was trained on");
  }
  io::load_trainable_state(tokenizer, store, options);
}

}  // namespace setok::tokenizer
