#include "setok/detokenizer/setok_detokenizer.h"

#include <cmath>

#include <ATen/ATen.h>

#include "setok/io/checkpoint.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"
#include "setok/tokenizer/position_encoding.h"

namespace setok::detokenizer {

at::Tensor patchify(const at::Tensor& images, int64_t p) {
  if (images.dim() != 4 || images.size(1) != 3 || images.size(2) % p != 0 ||
      images.size(3) % p != 0) {
    throw Error("patchify: expected images [B, 3, H, W] with H, W multiples of " +
                std::to_string(p) + ", got " + c10::str(images.sizes()));
  }
  const int64_t B = images.size(0), h = images.size(2) / p, w = images.size(3) / p;
  return images.reshape({B, 3, h, p, w, p})
      .permute({0, 2, 4, 3, 5, 1})  // [B, h, w, p, p, 3]
      .reshape({B, h * w, p * p * 3});
}

at::Tensor unpatchify(const at::Tensor& patches, int64_t p) {
  const int64_t B = patches.size(0), N = patches.size(1);
  const auto g = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(N))));
  if (patches.dim() != 3 || g * g != N || patches.size(2) != p * p * 3) {
    throw Error("unpatchify: expected [B, g*g, " + std::to_string(p * p * 3) + "], got " +
                c10::str(patches.sizes()));
  }
  return patches.reshape({B, g, g, p, p, 3})
      .permute({0, 5, 1, 3, 2, 4})  // [B, 3, g, p, g, p]
      .reshape({B, 3, g * p, g * p});
}

SetokDetokenizerImpl::SetokDetokenizerImpl(const DetokenizerConfig& c, int64_t token_dim)
    : config_(c), token_dim_(token_dim) {
  c.validate("model.detokenizer");
  if (token_dim < 1) throw Error("detokenizer: token width must be positive");
  const int64_t Hq = c.qformer_hidden, Dd = c.decoder_width, Nq = c.num_queries();
  token_proj = register_module("token_proj", torch::nn::Linear(token_dim, Hq));
  queries = register_parameter("queries", at::randn({1, Nq, Hq}) * 0.02);
  QFormerConfig q;
  q.hidden_size = Hq;
  q.num_hidden_layers = c.qformer_layers;
  q.num_attention_heads = c.qformer_heads;
  q.intermediate_size = c.qformer_intermediate;
  q.encoder_hidden_size = Hq;
  q.cross_attention_frequency = c.cross_attention_frequency;
  q.hidden_dropout = q.attention_dropout = c.qformer_dropout;
  qformer = register_module("qformer", QFormer(q));
  if (!c.bert_init.empty()) init_qformer_from_bert(*qformer, c.bert_init);
  decoder_in = register_module("decoder_in", torch::nn::Linear(Hq, Dd));
  nn::TransformerOptions t;
  t.dim = Dd;
  t.heads = c.decoder_heads;
  t.mlp_hidden = static_cast<int64_t>(std::llround(c.decoder_mlp_ratio * static_cast<double>(Dd)));
  decoder = register_module("decoder", nn::Transformer(t, c.decoder_depth));
  decoder_norm = register_module("decoder_norm",
                                 torch::nn::LayerNorm(torch::nn::LayerNormOptions({Dd}).eps(1e-6)));
  if (diffusion_head()) {
    diffusion::DiffLossOptions d;
    d.target_channels = c.patch_dim();
    d.z_channels = Dd;
    d.width = c.diffusion_width;
    d.depth = c.diffusion_depth;
    d.num_sampling_steps = c.diffusion_steps;
    d.noise_schedule = c.noise_schedule;
    d.diffusion_batch_mul = c.diffusion_batch_mul;
    d.sample_clip = 1.0;  // pixels lie in [-1, 1]
    diffloss = register_module("diffloss", diffusion::DiffLoss(d));
  } else {
    pixel_head = register_module("pixel_head", torch::nn::Linear(Dd, c.patch_dim()));
  }
}

at::Tensor SetokDetokenizerImpl::features(const at::Tensor& tokens, const at::Tensor& mask) {
  if (!tokens.defined() || tokens.dim() != 3 || tokens.size(2) != token_dim_ ||
      tokens.size(1) == 0) {
    throw Error("detokenizer: expected tokens [B, L, " + std::to_string(token_dim_) + "], got " +
                (tokens.defined() ? c10::str(tokens.sizes()) : "undefined"));
  }
  if (mask.defined() &&
      (mask.dim() != 2 || mask.size(0) != tokens.size(0) || mask.size(1) != tokens.size(1))) {
    throw Error("detokenizer: token mask must be [B, L] like the tokens, got " +
                c10::str(mask.sizes()));
  }
  const int64_t B = tokens.size(0);
  const at::Tensor context = token_proj->forward(tokens);                      // [B, L, Hq]
  const at::Tensor q = queries.expand({B, queries.size(1), queries.size(2)});  // [B, Nq, Hq]
  const at::Tensor h = qformer->forward(q, context, mask);                     // [B, Nq, Hq]
  at::Tensor x = decoder_in->forward(h);                                       // [B, Nq, Dd]
  const int64_t g = config_.grid();
  if (!position_cache_.defined() || position_cache_.device() != x.device() ||
      position_cache_.scalar_type() != x.scalar_type()) {
    position_cache_ = tokenizer::position_encoding_2d(g, g, x.size(2), x.device())
                          .view({1, g * g, x.size(2)})
                          .to(x.scalar_type());
  }
  x = decoder->forward(x + position_cache_);  // [B, Nq, Dd]
  return decoder_norm->forward(x);
}

at::Tensor SetokDetokenizerImpl::predict_pixels(const at::Tensor& tokens, const at::Tensor& mask) {
  if (diffusion_head()) throw Error("detokenizer: predict_pixels needs the pixels head");
  return unpatchify(pixel_head->forward(features(tokens, mask)), config_.patch_size);
}

at::Tensor SetokDetokenizerImpl::diffusion_loss(const at::Tensor& tokens, const at::Tensor& mask,
                                                const at::Tensor& target,
                                                std::optional<at::Generator> gen,
                                                const at::Tensor& image_seeds) {
  if (!diffusion_head()) throw Error("detokenizer: diffusion_loss needs the diffusion head");
  const at::Tensor z = features(tokens, mask);                                    // [B, Nq, Dd]
  const at::Tensor x = patchify(target.to(z.scalar_type()), config_.patch_size);  // [B, Nq, p*p*3]
  if (x.size(1) != z.size(1)) {
    throw Error("detokenizer: target images must be " + std::to_string(config_.image_size) + " px");
  }
  const at::Tensor rows_x = x.reshape({-1, x.size(2)});  // [B Nq, p*p*3], image-major
  const at::Tensor rows_z = z.reshape({-1, z.size(2)});  // [B Nq, Dd]
  if (image_seeds.defined()) {
    if (image_seeds.numel() != x.size(0)) {
      throw Error("detokenizer: one diffusion seed per image (" + std::to_string(x.size(0)) +
                  "), got " + std::to_string(image_seeds.numel()));
    }
    return diffloss->forward_seeded(rows_x, rows_z, image_seeds);
  }
  return diffloss->forward(rows_x, rows_z, {}, gen);
}

at::Tensor SetokDetokenizerImpl::decode(const at::Tensor& tokens, const at::Tensor& mask,
                                        std::optional<at::Generator> gen) {
  if (!diffusion_head()) return predict_pixels(tokens, mask).clamp(-1, 1);
  const at::Tensor z = features(tokens, mask);  // [B, Nq, Dd]
  const at::Tensor x = diffloss->sample(z.reshape({-1, z.size(2)}), config_.temperature, 1.0, gen);
  return unpatchify(x.view({z.size(0), z.size(1), -1}), config_.patch_size).clamp(-1, 1);
}

void load_detokenizer_weights(SetokDetokenizerImpl& detokenizer,
                              const std::filesystem::path& folder) {
  const std::filesystem::path step = io::resolve_checkpoint(folder);
  io::LoadOptions o;
  o.name_map.prefix("detokenizer.", "").ignore(R"((?!detokenizer\.).*)");
  io::load_trainable_state(detokenizer, io::TensorStore::open(step / "model.safetensors"), o);
}

}  // namespace setok::detokenizer
