#include "setok/io/image.h"

#include <ATen/ATen.h>

#include "setok/io/fs.h"
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
               ": this build of setok has no image support (configured with "
               "-DSETOK_WITH_OPENCV=OFF); feed preprocessed tensors instead");
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

at::Tensor read_image(const std::filesystem::path& path) {
  return decode_image(read_file(path), path.string());
}

void write_image(const std::filesystem::path& path, const at::Tensor& image) {
  const at::Tensor chw = to_uint8_chw(image, path.string());
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
  const std::string ext = path.extension().string();
  try {
    if (ext.empty() || !cv::imencode(ext, bgr, encoded)) {
      throw Error(path.string() + ": cannot encode an image with extension '" + ext + "'");
    }
  } catch (const cv::Exception& e) {
    throw Error(path.string() + ": cannot encode image: " + e.what());
  }
  write_file_atomic(path, std::string(encoded.begin(), encoded.end()));
}

#else  // no OpenCV

bool has_image_support() {
  return false;
}

at::Tensor decode_image(const std::string&, const std::string& label) {
  throw no_opencv(label);
}

at::Tensor read_image(const std::filesystem::path& path) {
  throw no_opencv(path.string());
}

void write_image(const std::filesystem::path& path, const at::Tensor& image) {
  to_uint8_chw(image, path.string());  // shape errors first, as in the OpenCV build
  throw no_opencv(path.string());
}

#endif

}  // namespace setok::io
