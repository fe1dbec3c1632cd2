#include "setok/losses/reconstruction.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::losses {

ReconstructionKind parse_reconstruction(const std::string& name) {
  if (name == "l1") return ReconstructionKind::kL1;
  if (name == "l2") return ReconstructionKind::kL2;
  throw Error("reconstruction loss must be l1 or l2, got '" + name + "'");
}

at::Tensor reconstruction_loss(const at::Tensor& prediction, const at::Tensor& target,
                               ReconstructionKind kind) {
  if (prediction.sizes() != target.sizes()) {
    throw Error("reconstruction loss: prediction " + c10::str(prediction.sizes()) + " and target " +
                c10::str(target.sizes()) + " differ in shape");
  }
  const at::Tensor diff = prediction - target.to(prediction.scalar_type());
  return kind == ReconstructionKind::kL1 ? diff.abs().mean() : diff.pow(2).mean();
}

at::Tensor psnr(const at::Tensor& prediction, const at::Tensor& target) {
  const at::Tensor mse = (prediction.to(at::kFloat) - target.to(at::kFloat))
                             .pow(2)
                             .flatten(1)
                             .mean(1)
                             .clamp_min(1e-10);
  return 10.0 * at::log10(4.0 / mse);
}

}  // namespace setok::losses
