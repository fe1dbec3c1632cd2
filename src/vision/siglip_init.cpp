#include "setok/vision/siglip_init.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "setok/nn/attention.h"
#include "setok/nn/mlp.h"
#include "setok/vision/siglip_vision.h"

namespace setok::vision {

void init_siglip_weights(torch::nn::Module& tower) {
  at::NoGradGuard no_grad;
  for (auto& m : tower.modules(/*include_self=*/false)) {
    if (auto* e = m->as<torch::nn::Embedding>()) {
      e->weight.normal_(0, 1.0 / std::sqrt(static_cast<double>(e->weight.size(1))));
    } else if (auto* c = m->as<torch::nn::Conv2d>()) {
      const double fan_in = static_cast<double>(c->weight[0].numel());
      c->weight.normal_(0, 1.0 / std::sqrt(fan_in));
      if (c->bias.defined()) c->bias.zero_();
    } else if (auto* a = m->as<nn::Attention>()) {
      for (auto* lin : {&a->q_proj, &a->k_proj, &a->v_proj, &a->out_proj}) {
        torch::nn::init::xavier_uniform_((*lin)->weight);
        if ((*lin)->bias.defined()) (*lin)->bias.zero_();
      }
    } else if (auto* mlp = m->as<nn::Mlp>()) {
      for (auto* lin : {&mlp->fc1, &mlp->fc2}) {
        torch::nn::init::xavier_uniform_((*lin)->weight);
        if ((*lin)->bias.defined()) (*lin)->bias.normal_(0, 1e-6);
      }
    } else if (auto* head = m->as<SiglipPoolingHead>()) {
      torch::nn::init::xavier_uniform_(head->probe);
      torch::nn::init::xavier_uniform_(head->attention->in_proj_weight);
      head->attention->in_proj_bias.zero_();
    }
  }
}

}  // namespace setok::vision
