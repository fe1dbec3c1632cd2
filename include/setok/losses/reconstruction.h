#pragma once
// Pixel reconstruction loss.
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::losses {

enum class ReconstructionKind { kL1, kL2 };
ReconstructionKind parse_reconstruction(const std::string& name);  // "l1" | "l2"

// Mean over every element. Shapes must match (error names both).
at::Tensor reconstruction_loss(const at::Tensor& prediction, const at::Tensor& target,
                               ReconstructionKind kind);

// Peak signal-to-noise ratio in dB for images in [-1, 1] (peak-to-peak 2), per image [B].
at::Tensor psnr(const at::Tensor& prediction, const at::Tensor& target);

}  // namespace setok::losses
