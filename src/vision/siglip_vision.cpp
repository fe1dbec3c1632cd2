#include "setok/vision/siglip_vision.h"

#include <ATen/ATen.h>

#include "setok/nn/sdpa.h"
#include "setok/runtime/error.h"
#include "setok/vision/siglip_init.h"

namespace setok::vision {

nn::TransformerOptions tower_options(int64_t hidden, int64_t heads, int64_t intermediate,
                                     const std::string& act, double eps, double attn_dropout) {
  nn::TransformerOptions o;
  o.dim = hidden;
  o.heads = heads;
  o.mlp_hidden = intermediate;
  o.activation = nn::parse_activation(act);
  o.layer_norm_eps = eps;
  o.attn_dropout = attn_dropout;
  return o;
}

SiglipVisionEmbeddingsImpl::SiglipVisionEmbeddingsImpl(const SiglipVisionConfig& config)
    : config_(config) {
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(config.num_channels, config.hidden_size, config.patch_size)
              .stride(config.patch_size)));
  position_embedding = register_module(
      "position_embedding", torch::nn::Embedding(config.num_patches(), config.hidden_size));
}

at::Tensor SiglipVisionEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  const at::Tensor patches = patch_embedding->forward(
      pixel_values.to(patch_embedding->weight.scalar_type()));   // [B, D, g, g]
  const at::Tensor tokens = patches.flatten(2).transpose(1, 2);  // [B, N, D]
  return tokens + position_embedding->weight.unsqueeze(0);       // [B, N, D]
}

PackedAttentionImpl::PackedAttentionImpl(int64_t dim, int64_t heads) : dim_(dim), heads_(heads) {
  if (dim % heads != 0) throw Error("PackedAttention: dim must be a multiple of heads");
  in_proj_weight = register_parameter("in_proj_weight", at::empty({3 * dim, dim}));
  in_proj_bias = register_parameter("in_proj_bias", at::zeros({3 * dim}));
  out_proj = register_module("out_proj", torch::nn::Linear(dim, dim));
  at::NoGradGuard no_grad;
  // torch.nn.MultiheadAttention's initialisation.
  const double bound = std::sqrt(6.0 / static_cast<double>(dim + 3 * dim));
  in_proj_weight.uniform_(-bound, bound);
}

at::Tensor PackedAttentionImpl::forward(const at::Tensor& query, const at::Tensor& kv) {
  const int64_t B = query.size(0), Lq = query.size(1), S = kv.size(1), E = dim_ / heads_;
  const auto w = in_proj_weight.chunk(3, 0);  // 3 x [D, D]
  const auto b = in_proj_bias.chunk(3, 0);    // 3 x [D]
  auto heads = [&](const at::Tensor& t, int64_t len) {
    return t.view({B, len, heads_, E}).transpose(1, 2);  // [B, H, len, E]
  };
  const at::Tensor q = heads(at::linear(query, w[0], b[0]), Lq);
  const at::Tensor k = heads(at::linear(kv, w[1], b[1]), S);
  const at::Tensor v = heads(at::linear(kv, w[2], b[2]), S);
  const at::Tensor o = nn::scaled_dot_product_attention(q, k, v);  // [B, H, Lq, E]
  return out_proj->forward(o.transpose(1, 2).reshape({B, Lq, dim_}));
}

SiglipPoolingHeadImpl::SiglipPoolingHeadImpl(const SiglipVisionConfig& config) {
  probe = register_parameter("probe", at::randn({1, 1, config.hidden_size}));
  attention =
      register_module("attention", PackedAttention(config.hidden_size, config.num_attention_heads));
  layernorm = register_module(
      "layernorm",
      torch::nn::LayerNorm(
          torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
  nn::MlpOptions m;
  m.dim = config.hidden_size;
  m.hidden = config.intermediate_size;
  m.activation = nn::parse_activation(config.hidden_act);
  mlp = register_module("mlp", nn::Mlp(m));
}

at::Tensor SiglipPoolingHeadImpl::forward(const at::Tensor& hidden) {
  const at::Tensor q = probe.expand({hidden.size(0), 1, probe.size(2)});  // [B, 1, D]
  const at::Tensor h = attention->forward(q, hidden);                     // [B, 1, D]
  const at::Tensor out = h + mlp->forward(layernorm->forward(h));         // [B, 1, D]
  return out.select(1, 0);                                                // [B, D]
}

SiglipVisionModelImpl::SiglipVisionModelImpl(const SiglipVisionConfig& config) : config_(config) {
  config.check("siglip vision config");
  embeddings = register_module("embeddings", SiglipVisionEmbeddings(config));
  encoder = register_module(
      "encoder", nn::Transformer(tower_options(config.hidden_size, config.num_attention_heads,
                                               config.intermediate_size, config.hidden_act,
                                               config.layer_norm_eps, config.attention_dropout),
                                 config.num_hidden_layers));
  post_layernorm = register_module(
      "post_layernorm",
      torch::nn::LayerNorm(
          torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
  if (config.use_head) head = register_module("head", SiglipPoolingHead(config));
  init_siglip_weights(*this);
}

void SiglipVisionModelImpl::check_pixels(const at::Tensor& pixel_values) const {
  const int64_t c = config_.num_channels, s = config_.image_size;
  if (!pixel_values.defined() || pixel_values.dim() != 4 || pixel_values.size(1) != c ||
      pixel_values.size(2) != s || pixel_values.size(3) != s) {
    throw Error("vision tower: expected pixel values [B, " + std::to_string(c) + ", " +
                std::to_string(s) + ", " + std::to_string(s) + "], got " +
                (pixel_values.defined() ? c10::str(pixel_values.sizes()) : "undefined"));
  }
  if (!at::isFloatingType(pixel_values.scalar_type())) {
    throw Error("vision tower: pixel values must be floating point (normalised), got " +
                std::string(c10::toString(pixel_values.scalar_type())));
  }
}

SiglipVisionOutput SiglipVisionModelImpl::forward(const at::Tensor& pixel_values,
                                                  bool output_hidden_states) {
  check_pixels(pixel_values);
  SiglipVisionOutput out;
  const at::Tensor x = embeddings->forward(pixel_values);  // [B, N, D]
  const at::Tensor h =
      encoder->forward(x, {}, false, -1, output_hidden_states ? &out.hidden_states : nullptr);
  out.last_hidden_state = post_layernorm->forward(h);  // [B, N, D]
  if (head) out.pooler_output = head->forward(out.last_hidden_state);
  return out;
}

at::Tensor SiglipVisionModelImpl::features(const at::Tensor& pixel_values, int64_t select_layer) {
  check_pixels(pixel_values);
  const int64_t layers = encoder->depth();
  const int64_t index = select_layer < 0 ? layers + 1 + select_layer : select_layer;
  if (index < 0 || index > layers) {
    throw Error("vision tower: select_layer " + std::to_string(select_layer) + " is outside [" +
                std::to_string(-layers - 1) + ", " + std::to_string(layers) + "]");
  }
  return encoder->forward(embeddings->forward(pixel_values), {}, false, index);  // [B, N, D]
}

}  // namespace setok::vision
