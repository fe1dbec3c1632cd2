#pragma once
// The Q-Former of BLIP-2 (HF Blip2QFormerModel semantics and parameter names): learned queries
// pass through post-LN BERT layers with self-attention, cross-attention to an encoder's states
// in layers with idx % cross_attention_frequency == 0 (honouring the encoder's padding mask),
// and the query feed-forward. Only the query path exists (no text input).
//   layernorm(query_embeds) -> encoder.layer.N:
//     attention.attention.{query,key,value}, attention.output.{dense,LayerNorm}
//     crossattention.attention.{query,key,value}, crossattention.output.{dense,LayerNorm}
//     intermediate_query.dense, output_query.{dense,LayerNorm}
#include <filesystem>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "setok/io/json.h"
#include "setok/nn/activation.h"

namespace setok::detokenizer {

struct QFormerConfig {
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  int64_t encoder_hidden_size = 768;
  int64_t cross_attention_frequency = 2;
  double layer_norm_eps = 1e-12;
  std::string hidden_act = "gelu";
  double hidden_dropout = 0.1;
  double attention_dropout = 0.1;

  void check(const std::string& label) const;
};

// HF config.json of a blip_2_qformer (or a BLIP-2 qformer_config section). Known fields are
// type-checked; errors name the label and field.
QFormerConfig parse_qformer_config(const io::Json& json, const std::string& label);

class QFormerMultiHeadAttentionImpl : public torch::nn::Module {
 public:
  QFormerMultiHeadAttentionImpl(const QFormerConfig& config, bool cross);
  // x [B, L, H]; kv [B, S, kv width]; mask [B, S] bool (true = keep) or undefined -> [B, L, H]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& kv, const at::Tensor& mask);
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};

 private:
  int64_t heads_;
  double dropout_;
};
TORCH_MODULE(QFormerMultiHeadAttention);

// dense -> dropout -> LayerNorm(x + residual)
class QFormerOutputImpl : public torch::nn::Module {
 public:
  QFormerOutputImpl(int64_t in, int64_t hidden, double eps, double dropout);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(QFormerOutput);

class QFormerAttentionImpl : public torch::nn::Module {
 public:
  QFormerAttentionImpl(const QFormerConfig& config, bool cross);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& kv, const at::Tensor& mask);
  QFormerMultiHeadAttention attention{nullptr};
  QFormerOutput output{nullptr};
};
TORCH_MODULE(QFormerAttention);

class QFormerIntermediateImpl : public torch::nn::Module {
 public:
  QFormerIntermediateImpl(int64_t hidden, int64_t intermediate, nn::Activation act);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear dense{nullptr};

 private:
  nn::Activation act_;
};
TORCH_MODULE(QFormerIntermediate);

class QFormerLayerImpl : public torch::nn::Module {
 public:
  QFormerLayerImpl(const QFormerConfig& config, int64_t index);
  at::Tensor forward(const at::Tensor& queries, const at::Tensor& encoder,
                     const at::Tensor& encoder_mask);
  bool has_cross_attention() const { return !crossattention.is_empty(); }
  QFormerAttention attention{nullptr};
  QFormerAttention crossattention{nullptr};
  QFormerIntermediate intermediate_query{nullptr};
  QFormerOutput output_query{nullptr};
};
TORCH_MODULE(QFormerLayer);

class QFormerEncoderImpl : public torch::nn::Module {
 public:
  explicit QFormerEncoderImpl(const QFormerConfig& config);
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(QFormerEncoder);

class QFormerImpl : public torch::nn::Module {
 public:
  explicit QFormerImpl(const QFormerConfig& config);
  // query_embeds [B, Q, H]; encoder_hidden_states [B, S, E]; encoder_mask [B, S] (1 = keep,
  // undefined = all) -> last hidden state [B, Q, H].
  at::Tensor forward(const at::Tensor& query_embeds, const at::Tensor& encoder_hidden_states,
                     const at::Tensor& encoder_mask = {});
  const QFormerConfig& config() const { return config_; }

  torch::nn::LayerNorm layernorm{nullptr};
  QFormerEncoder encoder{nullptr};

 private:
  QFormerConfig config_;
};
TORCH_MODULE(QFormer);

// Loads bert-base-uncased-layout weights into the Q-Former: for every layer i present in both,
//   encoder.layer.i.attention.self.{query,key,value}.*  -> encoder.layer.i.attention.attention.*
//   encoder.layer.i.attention.output.{dense,LayerNorm}.* -> encoder.layer.i.attention.output.*
// and embeddings.LayerNorm.* -> layernorm.* (the query LayerNorm). Cross-attention and the query
// feed-forward keep their initialisation. Shapes must match (strictly). Returns the Q-Former
// names that were loaded.
std::vector<std::string> init_qformer_from_bert(QFormerImpl& qformer,
                                                const std::filesystem::path& bert);

}  // namespace setok::detokenizer
