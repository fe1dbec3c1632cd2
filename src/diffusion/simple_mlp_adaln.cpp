#include "setok/diffusion/simple_mlp_adaln.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

#include "setok/runtime/error.h"

namespace setok::diffusion {

namespace {
at::Tensor modulate(const at::Tensor& x, const at::Tensor& shift, const at::Tensor& scale) {
  return x * (1 + scale) + shift;
}
torch::nn::LayerNorm layer_norm(int64_t c, bool affine) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({c}).eps(1e-6).elementwise_affine(affine));
}
}  // namespace

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(t.device());
  const at::Tensor freqs = at::exp(-std::log(max_period) * at::arange(0, half, f32) /
                                   static_cast<double>(half));                 // [half]
  const at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);  // [B, half]
  at::Tensor emb = at::cat({args.cos(), args.sin()}, -1);                      // [B, 2 half]
  if (dim % 2 == 1) emb = at::cat({emb, at::zeros_like(emb.narrow(1, 0, 1))}, -1);
  return emb;
}

TimestepEmbedderImpl::TimestepEmbedderImpl(int64_t hidden, int64_t frequency)
    : frequency_size(frequency) {
  mlp = register_module(
      "mlp", torch::nn::Sequential(torch::nn::Linear(frequency, hidden), torch::nn::SiLU(),
                                   torch::nn::Linear(hidden, hidden)));
}

at::Tensor TimestepEmbedderImpl::forward(const at::Tensor& t) {
  const at::Tensor freq = timestep_embedding(t, frequency_size);
  return mlp->forward(freq.to(mlp->ptr<torch::nn::LinearImpl>(0)->weight.scalar_type()));
}

AdaLNResBlockImpl::AdaLNResBlockImpl(int64_t c) {
  in_ln = register_module("in_ln", layer_norm(c, true));
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(c, c), torch::nn::SiLU(),
                                                     torch::nn::Linear(c, c)));
  adaLN_modulation = register_module(
      "adaLN_modulation", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(c, 3 * c)));
}

at::Tensor AdaLNResBlockImpl::forward(const at::Tensor& x, const at::Tensor& y) {
  const auto m = adaLN_modulation->forward(y).chunk(3, -1);  // shift, scale, gate: [B, C] each
  const at::Tensor h = mlp->forward(modulate(in_ln->forward(x), m[0], m[1]));
  return x + m[2] * h;
}

FinalLayerImpl::FinalLayerImpl(int64_t c, int64_t out) {
  norm_final = register_module("norm_final", layer_norm(c, false));
  linear = register_module("linear", torch::nn::Linear(c, out));
  adaLN_modulation = register_module(
      "adaLN_modulation", torch::nn::Sequential(torch::nn::SiLU(), torch::nn::Linear(c, 2 * c)));
}

at::Tensor FinalLayerImpl::forward(const at::Tensor& x, const at::Tensor& y) {
  const auto m = adaLN_modulation->forward(y).chunk(2, -1);  // shift, scale
  return linear->forward(modulate(norm_final->forward(x), m[0], m[1]));
}

SimpleMLPAdaLNImpl::SimpleMLPAdaLNImpl(const SimpleMLPAdaLNOptions& o) : options_(o) {
  if (o.in_channels <= 0 || o.model_channels <= 0 || o.out_channels <= 0 || o.z_channels <= 0 ||
      o.num_res_blocks < 0) {
    throw Error("SimpleMLPAdaLN: channel counts must be positive");
  }
  time_embed = register_module("time_embed", TimestepEmbedder(o.model_channels, o.frequency_size));
  cond_embed = register_module("cond_embed", torch::nn::Linear(o.z_channels, o.model_channels));
  input_proj = register_module("input_proj", torch::nn::Linear(o.in_channels, o.model_channels));
  res_blocks = register_module("res_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_res_blocks; ++i)
    res_blocks->push_back(AdaLNResBlock(o.model_channels));
  final_layer = register_module("final_layer", FinalLayer(o.model_channels, o.out_channels));
  initialize();
}

void SimpleMLPAdaLNImpl::initialize() {
  // MAR: Xavier-uniform linears with zero bias, N(0, 0.02) timestep MLP, zeroed adaLN
  // modulations and output layer (the network starts as the identity-free "predict 0").
  at::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      if (lin->bias.defined()) lin->bias.zero_();
    }
  }
  for (int64_t i : {0, 2}) {
    time_embed->mlp->ptr<torch::nn::LinearImpl>(i)->weight.normal_(0, 0.02);
  }
  auto zero = [](const torch::nn::Sequential& seq, size_t index) {
    auto* lin = seq->ptr<torch::nn::LinearImpl>(index).get();
    lin->weight.zero_();
    lin->bias.zero_();
  };
  for (size_t i = 0; i < res_blocks->size(); ++i) {
    zero(res_blocks->ptr<AdaLNResBlockImpl>(i)->adaLN_modulation, 1);
  }
  zero(final_layer->adaLN_modulation, 1);
  final_layer->linear->weight.zero_();
  final_layer->linear->bias.zero_();
}

at::Tensor SimpleMLPAdaLNImpl::forward(const at::Tensor& x, const at::Tensor& t,
                                       const at::Tensor& c) {
  at::Tensor h = input_proj->forward(x);                                 // [B, W]
  const at::Tensor y = time_embed->forward(t) + cond_embed->forward(c);  // [B, W]
  for (size_t i = 0; i < res_blocks->size(); ++i) {
    h = res_blocks->ptr<AdaLNResBlockImpl>(i)->forward(h, y);
  }
  return final_layer->forward(h, y);  // [B, out]
}

at::Tensor SimpleMLPAdaLNImpl::forward_with_cfg(const at::Tensor& x, const at::Tensor& t,
                                                const at::Tensor& c, double cfg_scale) {
  const int64_t B = x.size(0), C = options_.in_channels;
  if (B % 2 != 0)
    throw Error("forward_with_cfg: the batch must hold conditional and unconditional halves");
  const at::Tensor half = x.narrow(0, 0, B / 2);
  const at::Tensor out = forward(at::cat({half, half}), t, c);  // [B, out]
  const at::Tensor eps = out.narrow(1, 0, C), rest = out.narrow(1, C, out.size(1) - C);
  const at::Tensor cond = eps.narrow(0, 0, B / 2), uncond = eps.narrow(0, B / 2, B / 2);
  const at::Tensor guided = uncond + cfg_scale * (cond - uncond);
  return at::cat({at::cat({guided, guided}), rest}, 1);
}

}  // namespace setok::diffusion
