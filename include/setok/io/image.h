#pragma once
// Image files <-> uint8 tensors [3, H, W] (RGB). The only place that touches OpenCV; a build
// configured with -DSETOK_WITH_OPENCV=OFF keeps these functions and they throw a clear error.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

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

// Vector drawing on an RGB canvas, uint8 [H, W, 3] contiguous on the CPU (modified in place):
// anti-aliased text (baseline at (x, y), `scale` 0.4 is ~9 pixels tall), polylines and dots.
// Used by the run plots (draw/plot.h).
void draw_text(at::Tensor& canvas, const std::string& text, int64_t x, int64_t y, double scale,
               const std::array<uint8_t, 3>& rgb);
void draw_polyline(at::Tensor& canvas, const std::vector<std::pair<double, double>>& points,
                   const std::array<uint8_t, 3>& rgb, int thickness = 1);
void draw_dots(at::Tensor& canvas, const std::vector<std::pair<double, double>>& points,
               const std::array<uint8_t, 3>& rgb, int radius = 2);

// The encoded bytes write_image would write, for `extension` (".png", ".jpg", ...).
std::string encode_image(const at::Tensor& image, const std::string& extension,
                         const std::string& label = "image");

}  // namespace setok::io
