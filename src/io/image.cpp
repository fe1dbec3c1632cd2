#include "setok/io/image.h"

#include <cctype>
#include <cmath>

#include <ATen/ATen.h>

#include "setok/io/fs.h"
#include "setok/io/png.h"
#include "setok/runtime/error.h"

#if SETOK_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace setok::io {

namespace {
[[maybe_unused]] Error no_opencv(const std::string& what) {
  return Error(what +
               ": needs OpenCV, and this build of setok was configured with "
               "-DSETOK_WITH_OPENCV=OFF");
}

// [C, H, W] uint8 (C = 1 or 3) from what callers hand us.
at::Tensor to_uint8_chw(const at::Tensor& image, const std::string& label) {
  if (!image.defined() || image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3)) {
    throw Error(label + ": expected an image tensor [3, H, W] or [1, H, W], got " +
                (image.defined() ? std::to_string(image.dim()) + "-d " + c10::str(image.sizes())
                                 : std::string("an undefined tensor")));
  }
  if (image.size(1) == 0 || image.size(2) == 0) throw Error(label + ": image has no pixels");
  at::Tensor t = image.detach().to(at::kCPU);
  if (t.scalar_type() != at::kByte) {
    if (!at::isFloatingType(t.scalar_type())) {
      throw Error(label + ": image tensor must be uint8 or floating point, got " +
                  std::string(c10::toString(t.scalar_type())));
    }
    t = (t.to(at::kFloat).clamp(0, 1) * 255).round().to(at::kByte);
  }
  return t.contiguous();
}
}  // namespace

#if SETOK_WITH_OPENCV

bool has_image_support() {
  return true;
}

bool has_drawing_support() {
  return true;
}

namespace {
at::Tensor mat_to_tensor(const cv::Mat& decoded, const std::string& label) {
  if (decoded.empty()) throw Error(label + ": cannot decode image (corrupt or unsupported format)");
  cv::Mat rgb;
  cv::Mat src = decoded;
  if (src.depth() != CV_8U) {
    // 16-bit PNG/TIFF: scale to 8 bits.
    src.convertTo(src, CV_8U, src.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
  }
  switch (src.channels()) {
    case 1:
      cv::cvtColor(src, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      cv::cvtColor(src, rgb, cv::COLOR_BGR2RGB);
      break;
    case 4:
      cv::cvtColor(src, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      throw Error(label + ": unsupported channel count " + std::to_string(src.channels()));
  }
  // [H, W, 3] -> [3, H, W]
  at::Tensor hwc = at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte);
  return hwc.permute({2, 0, 1}).contiguous();
}
}  // namespace

at::Tensor decode_image(const std::string& bytes, const std::string& label) {
  if (bytes.empty()) throw Error(label + ": empty image file");
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(label + ": cannot decode image: " + e.what());
  }
  return mat_to_tensor(decoded, label);
}

std::string encode_image(const at::Tensor& image, const std::string& extension,
                         const std::string& label) {
  const at::Tensor chw = to_uint8_chw(image, label);
  const at::Tensor hwc = chw.permute({1, 2, 0}).contiguous();
  const int channels = static_cast<int>(chw.size(0));
  cv::Mat mat(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)),
              channels == 3 ? CV_8UC3 : CV_8UC1, hwc.data_ptr());
  cv::Mat bgr;
  if (channels == 3) {
    cv::cvtColor(mat, bgr, cv::COLOR_RGB2BGR);
  } else {
    bgr = mat;
  }
  std::vector<uchar> encoded;
  try {
    if (extension.empty() || !cv::imencode(extension, bgr, encoded)) {
      throw Error(label + ": cannot encode an image with extension '" + extension + "'");
    }
  } catch (const cv::Exception& e) {
    throw Error(label + ": cannot encode image: " + e.what());
  }
  return std::string(encoded.begin(), encoded.end());
}

namespace {
// The canvas's pixels as an OpenCV matrix sharing its memory (uint8 [H, W, 3], contiguous).
cv::Mat canvas_mat(at::Tensor& canvas) {
  if (!canvas.defined() || canvas.dim() != 3 || canvas.size(2) != 3 ||
      canvas.scalar_type() != at::kByte || !canvas.is_contiguous() || !canvas.device().is_cpu()) {
    throw Error("drawing: the canvas must be a contiguous uint8 CPU tensor [H, W, 3]");
  }
  return cv::Mat(static_cast<int>(canvas.size(0)), static_cast<int>(canvas.size(1)), CV_8UC3,
                 canvas.data_ptr());
}
cv::Scalar colour(const std::array<uint8_t, 3>& rgb) {
  return cv::Scalar(rgb[0], rgb[1], rgb[2]);  // the canvas is RGB; OpenCV only stores it
}
}  // namespace

void draw_text(at::Tensor& canvas, const std::string& text, int64_t x, int64_t y, double scale,
               const std::array<uint8_t, 3>& rgb) {
  cv::Mat m = canvas_mat(canvas);
  cv::putText(m, text, cv::Point(static_cast<int>(x), static_cast<int>(y)),
              cv::FONT_HERSHEY_SIMPLEX, scale, colour(rgb), 1, cv::LINE_AA);
}

void draw_polyline(at::Tensor& canvas, const std::vector<std::pair<double, double>>& points,
                   const std::array<uint8_t, 3>& rgb, int thickness) {
  cv::Mat m = canvas_mat(canvas);
  std::vector<cv::Point> pts;
  for (const auto& [x, y] : points)
    pts.emplace_back(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
  if (pts.size() == 1) {
    cv::circle(m, pts[0], thickness + 1, colour(rgb), cv::FILLED, cv::LINE_AA);
    return;
  }
  cv::polylines(m, pts, false, colour(rgb), thickness, cv::LINE_AA);
}

void draw_dots(at::Tensor& canvas, const std::vector<std::pair<double, double>>& points,
               const std::array<uint8_t, 3>& rgb, int radius) {
  cv::Mat m = canvas_mat(canvas);
  for (const auto& [x, y] : points) {
    cv::circle(m, cv::Point(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y))),
               radius, colour(rgb), cv::FILLED, cv::LINE_AA);
  }
}

#else  // no OpenCV: PNG through the built-in codec (png.h) when zlib was found

bool has_image_support() {
  return png_codec_available();
}

bool has_drawing_support() {
  return false;
}

at::Tensor decode_image(const std::string& bytes, const std::string& label) {
  if (bytes.empty()) throw Error(label + ": empty image file");
  if (!is_png(bytes))
    throw Error(label +
                ": cannot decode image: not a PNG file; this build of setok (configured with "
                "-DSETOK_WITH_OPENCV=OFF) reads PNG only");
  return decode_png(bytes, label);
}

std::string encode_image(const at::Tensor& image, const std::string& extension,
                         const std::string& label) {
  const at::Tensor chw = to_uint8_chw(image, label);
  std::string lower = extension;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != ".png")
    throw Error(label + ": cannot write '" + extension +
                "' images: this build of setok (configured with -DSETOK_WITH_OPENCV=OFF) "
                "writes PNG only");
  return encode_png(chw, label);
}

void draw_text(at::Tensor&, const std::string&, int64_t, int64_t, double,
               const std::array<uint8_t, 3>&) {
  throw no_opencv("drawing text");
}

void draw_polyline(at::Tensor&, const std::vector<std::pair<double, double>>&,
                   const std::array<uint8_t, 3>&, int) {
  throw no_opencv("drawing lines");
}

void draw_dots(at::Tensor&, const std::vector<std::pair<double, double>>&,
               const std::array<uint8_t, 3>&, int) {
  throw no_opencv("drawing dots");
}

#endif

at::Tensor read_image(const std::filesystem::path& path) {
  return decode_image(read_file(path), path.string());
}

void write_image(const std::filesystem::path& path, const at::Tensor& image) {
  write_file_atomic(path, encode_image(image, path.extension().string(), path.string()));
}

}  // namespace setok::io
