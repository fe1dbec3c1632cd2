#pragma once
// Image files <-> uint8 tensors [3, H, W] (RGB). The only place that touches OpenCV; a build
// configured with -DSETOK_WITH_OPENCV=OFF keeps these functions and they throw a clear error.
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::io {

// False in builds without OpenCV.
bool has_image_support();

// Decodes any format OpenCV reads (PNG, JPEG, BMP, WebP, ...). Grey and alpha images become
// RGB. Returns uint8 [3, H, W]. Errors name the file (missing, undecodable).
at::Tensor read_image(const std::filesystem::path& path);

// Same, from encoded bytes; `label` names the source in errors.
at::Tensor decode_image(const std::string& bytes, const std::string& label);

// Writes uint8 [3, H, W] or [1, H, W] (or float in [0, 1], clamped and rounded) atomically; the
// format follows the extension (.png, .jpg, ...).
void write_image(const std::filesystem::path& path, const at::Tensor& image);

}  // namespace setok::io
