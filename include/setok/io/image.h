#pragma once
// Image files <-> uint8 tensors [3, H, W] (RGB). The only place that touches OpenCV. A build
// configured with -DSETOK_WITH_OPENCV=OFF reads and writes PNG through the built-in codec
// (png.h, needs zlib); other formats and the drawing functions throw a clear error there.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::io {

// PNG files can be read and written (every build with OpenCV or zlib). Other formats need OpenCV.
bool has_image_support();

// The vector drawing below works (OpenCV builds only).
bool has_drawing_support();

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
