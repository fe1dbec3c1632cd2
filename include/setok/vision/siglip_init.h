#pragma once
// HF SigLIP's random initialisation (SiglipPreTrainedModel._init_weights), so towers trained
// from scratch start like HF's: position / token embeddings N(0, 1/sqrt(width)), the patch
// convolution LeCun-normal, attention projections Xavier-uniform with zero bias, MLP layers
// Xavier-uniform with N(0, 1e-6) bias, the pooling probe Xavier-uniform. LibTorch's defaults
// differ most for embeddings (N(0, 1)): with those, a fresh tower's position embedding outweighs
// the image content.
#include <torch/nn/module.h>

namespace setok::vision {

void init_siglip_weights(torch::nn::Module& tower);

}  // namespace setok::vision
