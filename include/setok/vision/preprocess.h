#pragma once
// SigLIP-style image preprocessing on tensors (works without OpenCV, on any device):
// optional pad-to-square with the mean colour (LLaVA's expand2square), antialiased bicubic
// resize to size x size, scale to [0, 1], normalise with mean / std.
#include <array>
#include <filesystem>
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::vision {

struct ImagePreprocess {
  int64_t size = 224;
  std::array<double, 3> mean{0.5, 0.5, 0.5};
  std::array<double, 3> std{0.5, 0.5, 0.5};
  bool pad_to_square = false;
};

// image: uint8 [3, H, W] (RGB) -> float32 [3, size, size]. `label` names the image in errors.
at::Tensor preprocess_image(const at::Tensor& image, const ImagePreprocess& options,
                            const std::string& label = "image");

// Stacks preprocessed images: -> [B, 3, size, size].
at::Tensor preprocess_batch(const std::vector<at::Tensor>& images, const ImagePreprocess& options);

// Inverse of the normalisation, for drawing: float [3, S, S] -> uint8 [3, S, S].
at::Tensor denormalize_image(const at::Tensor& pixels, const ImagePreprocess& options);

// HF preprocessor_config.json (image_mean, image_std, size.height) over `base`; `base` is
// returned unchanged when the file does not exist.
ImagePreprocess read_preprocessor_config(const std::filesystem::path& folder, ImagePreprocess base);

}  // namespace setok::vision
