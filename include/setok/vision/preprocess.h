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

// Which patches of the preprocessed image hold image content: bool [grid * grid] (raster
// order) for an image of height x width pixels. With pad_to_square a non-square image is
// letterboxed, and the patches whose centre falls in the padding are false (SeTok never
// clusters them); otherwise every patch is true. patch_size in preprocessed pixels; grid =
// floor(size / patch_size) as the tower's convolution. At least one patch is always true.
at::Tensor content_patch_mask(int64_t height, int64_t width, const ImagePreprocess& options,
                              int64_t patch_size);

// A label map (instance ids) [H, W] placed exactly as preprocess_image places its image before
// resizing: with pad_to_square a non-square map is padded to a centred square with `fill`
// (e.g. -1 = ignore); otherwise returned as is. int64 out.
at::Tensor letterbox_labels(const at::Tensor& labels, const ImagePreprocess& options,
                            int64_t fill = -1);

// Stacks preprocessed images: -> [B, 3, size, size].
at::Tensor preprocess_batch(const std::vector<at::Tensor>& images, const ImagePreprocess& options);

// Inverse of the normalisation, for drawing: float [3, S, S] -> uint8 [3, S, S].
at::Tensor denormalize_image(const at::Tensor& pixels, const ImagePreprocess& options);

// HF preprocessor_config.json (image_mean, image_std, size.height) over `base`; `base` is
// returned unchanged when the file does not exist.
ImagePreprocess read_preprocessor_config(const std::filesystem::path& folder, ImagePreprocess base);

}  // namespace setok::vision
