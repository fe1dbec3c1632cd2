#include "setok/detokenizer/qformer.h"

#include <regex>

#include <ATen/ATen.h>

#include "setok/io/hf_config.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/nn/attention.h"
#include "setok/nn/sdpa.h"
#include "setok/runtime/error.h"

namespace setok::detokenizer {

void QFormerConfig::check(const std::string& label) const {
  if (hidden_size <= 0 || num_attention_heads <= 0 || hidden_size % num_attention_heads != 0) {
    throw Error(label + ": hidden_size must be a positive multiple of num_attention_heads");
  }
  if (num_hidden_layers < 0 || intermediate_size <= 0 || encoder_hidden_size <= 0 ||
      cross_attention_frequency < 1) {
    throw Error(label + ": invalid layer count, sizes or cross_attention_frequency");
  }
  nn::parse_activation(hidden_act);
}

QFormerConfig parse_qformer_config(const io::Json& j, const std::string& label) {
  const io::HfConfigReader r(j, label);
  QFormerConfig c;
  r.get("hidden_size", c.hidden_size);
  r.get("num_hidden_layers", c.num_hidden_layers);
  r.get("num_attention_heads", c.num_attention_heads);
  r.get("intermediate_size", c.intermediate_size);
  r.get("encoder_hidden_size", c.encoder_hidden_size);
  r.get("cross_attention_frequency", c.cross_attention_frequency);
  r.get("layer_norm_eps", c.layer_norm_eps);
  r.get("hidden_dropout_prob", c.hidden_dropout);
  r.get("attention_probs_dropout_prob", c.attention_dropout);
  r.get("hidden_act", c.hidden_act);
  c.check(label);
  return c;
}

QFormerMultiHeadAttentionImpl::QFormerMultiHeadAttentionImpl(const QFormerConfig& c, bool cross)
    : heads_(c.num_attention_heads), dropout_(c.attention_dropout) {
  const int64_t kv = cross ? c.encoder_hidden_size : c.hidden_size;
  query = register_module("query", torch::nn::Linear(c.hidden_size, c.hidden_size));
  key = register_module("key", torch::nn::Linear(kv, c.hidden_size));
  value = register_module("value", torch::nn::Linear(kv, c.hidden_size));
}

at::Tensor QFormerMultiHeadAttentionImpl::forward(const at::Tensor& x, const at::Tensor& kv,
                                                  const at::Tensor& mask) {
  const int64_t B = x.size(0), L = x.size(1), S = kv.size(1), H = query->weight.size(0);
  const int64_t E = H / heads_;
  auto split = [&](const at::Tensor& t, int64_t len) {
    return t.view({B, len, heads_, E}).transpose(1, 2);  // [B, heads, len, E]
  };
  nn::SdpaOptions o;
  o.mask = nn::expand_attention_mask(mask, B, L, S, "Q-Former attention");
  o.dropout_p = is_training() ? dropout_ : 0.0;
  const at::Tensor ctx = nn::scaled_dot_product_attention(
      split(query->forward(x), L), split(key->forward(kv), S), split(value->forward(kv), S), o);
  return ctx.transpose(1, 2).reshape({B, L, H});  // [B, L, H]
}

QFormerOutputImpl::QFormerOutputImpl(int64_t in, int64_t hidden, double eps, double dropout)
    : dropout_(dropout) {
  dense = register_module("dense", torch::nn::Linear(in, hidden));
  LayerNorm = register_module("LayerNorm",
                              torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(eps)));
}

at::Tensor QFormerOutputImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
  at::Tensor h = dense->forward(x);
  if (is_training() && dropout_ > 0) h = at::dropout(h, dropout_, true);
  return LayerNorm->forward(h + residual);
}

QFormerAttentionImpl::QFormerAttentionImpl(const QFormerConfig& c, bool cross) {
  attention = register_module("attention", QFormerMultiHeadAttention(c, cross));
  output = register_module(
      "output", QFormerOutput(c.hidden_size, c.hidden_size, c.layer_norm_eps, c.hidden_dropout));
}

at::Tensor QFormerAttentionImpl::forward(const at::Tensor& x, const at::Tensor& kv,
                                         const at::Tensor& mask) {
  return output->forward(attention->forward(x, kv, mask), x);
}

QFormerIntermediateImpl::QFormerIntermediateImpl(int64_t hidden, int64_t inter, nn::Activation act)
    : act_(act) {
  dense = register_module("dense", torch::nn::Linear(hidden, inter));
}

at::Tensor QFormerIntermediateImpl::forward(const at::Tensor& x) {
  return nn::activate(dense->forward(x), act_);
}

QFormerLayerImpl::QFormerLayerImpl(const QFormerConfig& c, int64_t index) {
  attention = register_module("attention", QFormerAttention(c, false));
  if (index % c.cross_attention_frequency == 0) {
    crossattention = register_module("crossattention", QFormerAttention(c, true));
  }
  intermediate_query = register_module(
      "intermediate_query",
      QFormerIntermediate(c.hidden_size, c.intermediate_size, nn::parse_activation(c.hidden_act)));
  output_query = register_module("output_query", QFormerOutput(c.intermediate_size, c.hidden_size,
                                                               c.layer_norm_eps, c.hidden_dropout));
}

at::Tensor QFormerLayerImpl::forward(const at::Tensor& queries, const at::Tensor& encoder,
                                     const at::Tensor& encoder_mask) {
  at::Tensor h = attention->forward(queries, queries, {});  // [B, Q, H]
  if (has_cross_attention()) h = crossattention->forward(h, encoder, encoder_mask);
  return output_query->forward(intermediate_query->forward(h), h);  // [B, Q, H]
}

QFormerEncoderImpl::QFormerEncoderImpl(const QFormerConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layer->push_back(QFormerLayer(c, i));
}

QFormerImpl::QFormerImpl(const QFormerConfig& c) : config_(c) {
  c.check("Q-Former config");
  layernorm = register_module(
      "layernorm",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  encoder = register_module("encoder", QFormerEncoder(c));
}

at::Tensor QFormerImpl::forward(const at::Tensor& query_embeds,
                                const at::Tensor& encoder_hidden_states,
                                const at::Tensor& encoder_mask) {
  if (query_embeds.dim() != 3 || query_embeds.size(2) != config_.hidden_size) {
    throw Error("Q-Former: query embeddings must be [B, Q, " + std::to_string(config_.hidden_size) +
                "], got " + c10::str(query_embeds.sizes()));
  }
  if (encoder_hidden_states.dim() != 3 || encoder_hidden_states.size(0) != query_embeds.size(0) ||
      encoder_hidden_states.size(2) != config_.encoder_hidden_size) {
    throw Error("Q-Former: encoder states must be [B, S, " +
                std::to_string(config_.encoder_hidden_size) + "], got " +
                c10::str(encoder_hidden_states.sizes()));
  }
  at::Tensor h = layernorm->forward(query_embeds);
  if (is_training() && config_.hidden_dropout > 0) h = at::dropout(h, config_.hidden_dropout, true);
  for (size_t i = 0; i < encoder->layer->size(); ++i) {
    h = encoder->layer->ptr<QFormerLayerImpl>(i)->forward(h, encoder_hidden_states, encoder_mask);
  }
  return h;
}

std::vector<std::string> init_qformer_from_bert(QFormerImpl& qformer,
                                                const std::filesystem::path& bert) {
  const io::TensorStore store = io::TensorStore::open(bert);
  const int64_t layers = qformer.config().num_hidden_layers;
  io::LoadOptions o;
  o.strict = false;
  o.name_map.prefix("embeddings.LayerNorm.", "layernorm.")
      .regex(R"(^encoder\.layer\.(\d+)\.attention\.self\.)",
             "encoder.layer.$1.attention.attention.");
  // Everything else of BERT is deliberately not used: embeddings, the text feed-forward, the
  // pooler, and layers beyond the Q-Former's depth.
  o.name_map
      .ignore(
          R"(embeddings\.(word|position|token_type)_embeddings\.weight|embeddings\.position_ids)")
      .ignore(R"(encoder\.layer\.\d+\.(intermediate|output)\..*)")
      .ignore(R"(pooler\..*)");
  for (const auto& name : store.names()) {
    std::smatch m;
    static const std::regex layer_re(R"(^encoder\.layer\.(\d+)\.)");
    if (std::regex_search(name, m, layer_re) && std::stoll(m[1]) >= layers) {
      o.name_map.ignore(std::regex_replace(name, std::regex(R"(\.)"), R"(\.)"));
    }
  }
  const io::LoadReport report = io::load_state(qformer, store, o);
  if (!report.unexpected.empty() || !report.mismatched.empty()) {
    throw Error(store.path().string() +
                ": not a BERT checkpoint this Q-Former can start from: " + report.summary());
  }
  return report.loaded;
}

}  // namespace setok::detokenizer
