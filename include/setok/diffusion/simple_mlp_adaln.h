#pragma once
// MAR's denoising MLP (SimpleMLPAdaLN) with MAR's parameter names, so MAR DiffLoss weights load
// by name: time_embed.mlp.{0,2}, cond_embed, input_proj, res_blocks.N.{in_ln, mlp.{0,2},
// adaLN_modulation.1}, final_layer.{linear, adaLN_modulation.1}.
//   x [B, in] -> input_proj; y = time_embed(t) + cond_embed(c);
//   each ResBlock: x + gate * mlp(LN(x) * (1 + scale) + shift), (shift, scale, gate) = f(y)
//   final: linear(LN(x) * (1 + scale) + shift) -> [B, out]
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace setok::diffusion {

// Sinusoidal timestep features [B, dim]: [cos(t f_k), sin(t f_k)], f_k = 10000^(-k / (dim/2)).
at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period = 10000.0);

class TimestepEmbedderImpl : public torch::nn::Module {
 public:
  TimestepEmbedderImpl(int64_t hidden, int64_t frequency_size = 256);
  at::Tensor forward(const at::Tensor& t);  // [B] -> [B, hidden]
  torch::nn::Sequential mlp{nullptr};
  int64_t frequency_size;
};
TORCH_MODULE(TimestepEmbedder);

class AdaLNResBlockImpl : public torch::nn::Module {
 public:
  explicit AdaLNResBlockImpl(int64_t channels);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& y);  // [B, C], [B, C] -> [B, C]
  torch::nn::LayerNorm in_ln{nullptr};
  torch::nn::Sequential mlp{nullptr};
  torch::nn::Sequential adaLN_modulation{nullptr};
};
TORCH_MODULE(AdaLNResBlock);

class FinalLayerImpl : public torch::nn::Module {
 public:
  FinalLayerImpl(int64_t channels, int64_t out_channels);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& y);
  torch::nn::LayerNorm norm_final{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::nn::Sequential adaLN_modulation{nullptr};
};
TORCH_MODULE(FinalLayer);

struct SimpleMLPAdaLNOptions {
  int64_t in_channels = 0;
  int64_t model_channels = 0;  // width
  int64_t out_channels = 0;    // 2 x in for learned variance
  int64_t z_channels = 0;      // condition width
  int64_t num_res_blocks = 0;  // depth
  int64_t frequency_size = 256;
};

class SimpleMLPAdaLNImpl : public torch::nn::Module {
 public:
  explicit SimpleMLPAdaLNImpl(const SimpleMLPAdaLNOptions& options);
  // x [B, in], t [B] (original timesteps), c [B, z] -> [B, out]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& c);
  // Classifier-free guidance on the epsilon channels (MAR's forward_with_cfg): the first half of
  // the batch is conditional, the second unconditional; both halves of x are taken from the
  // first; eps = uncond + scale (cond - uncond) for both halves; variance channels untouched.
  at::Tensor forward_with_cfg(const at::Tensor& x, const at::Tensor& t, const at::Tensor& c,
                              double cfg_scale);
  const SimpleMLPAdaLNOptions& options() const { return options_; }

  TimestepEmbedder time_embed{nullptr};
  torch::nn::Linear cond_embed{nullptr};
  torch::nn::Linear input_proj{nullptr};
  torch::nn::ModuleList res_blocks{nullptr};
  FinalLayer final_layer{nullptr};

 private:
  void initialize();
  SimpleMLPAdaLNOptions options_;
};
TORCH_MODULE(SimpleMLPAdaLN);

}  // namespace setok::diffusion
