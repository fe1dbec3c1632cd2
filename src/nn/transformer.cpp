#include "setok/nn/transformer.h"

#include "setok/nn/checkpoint.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::nn {

TransformerBlockImpl::TransformerBlockImpl(const TransformerOptions& o) : dropout_(o.dropout) {
  const auto ln = torch::nn::LayerNormOptions({o.dim}).eps(o.layer_norm_eps);
  layer_norm1 = register_module("layer_norm1", torch::nn::LayerNorm(ln));
  AttentionOptions a;
  a.dim = o.dim;
  a.heads = o.heads;
  a.bias = o.bias;
  a.dropout = o.attn_dropout;
  self_attn = register_module("self_attn", Attention(a));
  layer_norm2 = register_module("layer_norm2", torch::nn::LayerNorm(ln));
  MlpOptions m;
  m.dim = o.dim;
  m.hidden = o.mlp_hidden > 0 ? o.mlp_hidden : 4 * o.dim;
  m.activation = o.activation;
  m.dropout = o.dropout;
  m.bias = o.bias;
  mlp = register_module("mlp", Mlp(m));
}

at::Tensor TransformerBlockImpl::forward(const at::Tensor& x, const at::Tensor& mask, bool causal) {
  at::Tensor a = self_attn->forward(layer_norm1->forward(x), {}, mask, causal);  // [B, L, D]
  at::Tensor h = x + (is_training() && dropout_ > 0.0 ? at::dropout(a, dropout_, true) : a);
  return h + mlp->forward(layer_norm2->forward(h));  // [B, L, D]
}

TransformerImpl::TransformerImpl(const TransformerOptions& options, int64_t depth) {
  if (depth < 0) throw Error("Transformer: depth must be >= 0");
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < depth; ++i) layers->push_back(TransformerBlock(options));
}

TransformerBlock TransformerImpl::block(int64_t i) const {
  return TransformerBlock(layers->ptr<TransformerBlockImpl>(i));
}

at::Tensor TransformerImpl::forward(const at::Tensor& x, const at::Tensor& mask, bool causal,
                                    int64_t upto, std::vector<at::Tensor>* hidden_states) {
  const int64_t n = upto < 0 ? depth() : std::min(upto, depth());
  at::Tensor h = x;
  if (hidden_states) hidden_states->push_back(h);
  const bool recompute = checkpointing_ && is_training() && at::GradMode::is_enabled();
  for (int64_t i = 0; i < n; ++i) {
    if (recompute) {
      h = checkpoint([b = block(i), mask, causal](
                         const at::Tensor& in) mutable { return b->forward(in, mask, causal); },
                     h);
    } else {
      h = block(i)->forward(h, mask, causal);
    }
    if (hidden_states) hidden_states->push_back(h);
  }
  return h;
}

int64_t set_activation_checkpointing(torch::nn::Module& root, bool on) {
  int64_t found = 0;
  for (const auto& module : root.modules(/*include_self=*/true)) {
    if (auto* stack = dynamic_cast<TransformerImpl*>(module.get())) {
      stack->set_activation_checkpointing(on);
      ++found;
    }
  }
  return found;
}

}  // namespace setok::nn
