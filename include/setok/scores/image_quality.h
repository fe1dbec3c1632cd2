#pragma once
// Reconstruction scores of images (docs/evaluation.md): PSNR and SSIM on RGB images in [0, 1].
//   PSNR: 10 log10(1 / MSE) over all pixels and channels, in dB; MSE is floored at 1e-10, so an
//         exact copy scores 100 dB instead of infinity (JSON has no infinity).
//   SSIM: Wang et al. (2004): an 11 x 11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03, data
//         range 1, biased local (co)variances, the map averaged over the window positions that
//         fit inside the image ("valid"), per channel, then over channels.
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>

#include "setok/io/json.h"

namespace setok::scores {

// [3, H, W] (or [C, H, W]) uint8 (divided by 255) or floating point in [0, 1]; same shapes.
double image_psnr(const at::Tensor& prediction, const at::Tensor& reference);
// As image_psnr; both sides need at least 11 x 11 pixels.
double image_ssim(const at::Tensor& prediction, const at::Tensor& reference);

struct ImageScore {
  double psnr = 0;  // mean over images, dB
  double ssim = 0;  // mean over images
  int64_t images = 0;
  io::Json to_json() const;
};

// Every image file in `references` (PNG, JPEG, ...) against the file of the same name in
// `predictions`; a missing prediction or a size mismatch names the file.
ImageScore score_images(const std::filesystem::path& predictions,
                        const std::filesystem::path& references);

}  // namespace setok::scores
