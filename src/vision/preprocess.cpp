#include "setok/vision/preprocess.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/upsampling.h>

#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::vision {

namespace {
at::Tensor channel_tensor(const std::array<double, 3>& v, const at::TensorOptions& o) {
  return at::tensor({v[0], v[1], v[2]}, o.dtype(at::kDouble)).to(at::kFloat).view({3, 1, 1});
}
}  // namespace

at::Tensor preprocess_image(const at::Tensor& image, const ImagePreprocess& o,
                            const std::string& label) {
  if (!image.defined() || image.dim() != 3 || image.size(0) != 3 || image.size(1) == 0 ||
      image.size(2) == 0) {
    throw Error(label + ": expected an RGB image [3, H, W], got " +
                (image.defined() ? c10::str(image.sizes()) : "undefined"));
  }
  if (image.scalar_type() != at::kByte) {
    throw Error(label + ": expected uint8 pixels, got " +
                std::string(c10::toString(image.scalar_type())));
  }
  at::Tensor x = image.to(at::kFloat);  // [3, H, W] in [0, 255]
  if (o.pad_to_square && x.size(1) != x.size(2)) {
    const int64_t side = std::max(x.size(1), x.size(2));
    at::Tensor canvas =
        (channel_tensor(o.mean, x.options()) * 255.0).round().expand({3, side, side}).clone();
    const int64_t top = (side - x.size(1)) / 2, left = (side - x.size(2)) / 2;
    canvas.narrow(1, top, x.size(1)).narrow(2, left, x.size(2)).copy_(x);
    x = canvas;
  }
  if (x.size(1) != o.size || x.size(2) != o.size) {
    namespace F = torch::nn::functional;
    const bool shrinking = x.size(1) > o.size || x.size(2) > o.size;
    x = F::interpolate(x.unsqueeze(0), F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{o.size, o.size})
                                           .mode(torch::kBicubic)
                                           .align_corners(false)
                                           .antialias(shrinking))
            .squeeze(0)
            .clamp(0, 255);
  }
  const auto opts = x.options();
  return (x / 255.0 - channel_tensor(o.mean, opts)) / channel_tensor(o.std, opts);  // [3, S, S]
}

namespace {
// Rows (or columns) of `grid` patches whose centre lies in the content span [lo, hi) of a
// side of `size` preprocessed pixels; the patch holding the span's middle when none does.
at::Tensor content_lines(double lo, double hi, int64_t grid, int64_t patch) {
  const at::Tensor centre = (at::arange(grid, at::kDouble) + 0.5) * static_cast<double>(patch);
  at::Tensor inside = (centre >= lo) & (centre < hi);  // [grid]
  if (!inside.any().item<bool>()) {
    const int64_t mid = std::min<int64_t>(grid - 1, static_cast<int64_t>(0.5 * (lo + hi) / patch));
    inside[mid] = true;
  }
  return inside;
}
}  // namespace

at::Tensor content_patch_mask(int64_t height, int64_t width, const ImagePreprocess& o,
                              int64_t patch_size) {
  if (height < 1 || width < 1 || patch_size < 1 || patch_size > o.size) {
    throw Error("content_patch_mask: need a non-empty image and 1 <= patch_size <= size");
  }
  const int64_t grid = o.size / patch_size;
  if (!o.pad_to_square || height == width) return at::ones({grid * grid}, at::kBool);
  const int64_t side = std::max(height, width);
  const double scale = static_cast<double>(o.size) / static_cast<double>(side);
  const int64_t top = (side - height) / 2, left = (side - width) / 2;  // as preprocess_image
  const at::Tensor rows = content_lines(top * scale, (top + height) * scale, grid, patch_size);
  const at::Tensor cols = content_lines(left * scale, (left + width) * scale, grid, patch_size);
  return (rows.unsqueeze(1) & cols.unsqueeze(0)).reshape(-1);  // [grid * grid]
}

at::Tensor letterbox_labels(const at::Tensor& labels, const ImagePreprocess& o, int64_t fill) {
  if (!labels.defined() || labels.dim() != 2 || labels.numel() == 0) {
    throw Error("letterbox_labels: expected a label map [H, W], got " +
                (labels.defined() ? c10::str(labels.sizes()) : "undefined"));
  }
  const at::Tensor m = labels.to(at::kLong);
  const int64_t H = m.size(0), W = m.size(1);
  if (!o.pad_to_square || H == W) return m;
  const int64_t side = std::max(H, W);
  at::Tensor canvas = at::full({side, side}, fill, m.options());
  canvas.narrow(0, (side - H) / 2, H).narrow(1, (side - W) / 2, W).copy_(m);
  return canvas;
}

at::Tensor preprocess_batch(const std::vector<at::Tensor>& images, const ImagePreprocess& o) {
  std::vector<at::Tensor> out;
  out.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    out.push_back(preprocess_image(images[i], o, "image " + std::to_string(i)));
  }
  return at::stack(out);  // [B, 3, S, S]
}

at::Tensor denormalize_image(const at::Tensor& pixels, const ImagePreprocess& o) {
  const auto opts = pixels.options().dtype(at::kFloat);
  const at::Tensor x = pixels.to(at::kFloat) * channel_tensor(o.std, opts).to(pixels.device()) +
                       channel_tensor(o.mean, opts).to(pixels.device());
  return (x.clamp(0, 1) * 255).round().to(at::kByte);
}

ImagePreprocess read_preprocessor_config(const std::filesystem::path& folder,
                                         ImagePreprocess base) {
  const auto path = folder / "preprocessor_config.json";
  if (!std::filesystem::exists(path)) return base;
  const io::Json j = io::read_json(path);
  auto triple = [&](const char* key, std::array<double, 3>& out) {
    if (!j.contains(key)) return;
    const auto& v = j[key];
    if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() ||
        !v[2].is_number()) {
      throw Error(path.string() + ": " + key + " must be an array of 3 numbers");
    }
    for (int i = 0; i < 3; ++i) out[i] = v[i].get<double>();
  };
  triple("image_mean", base.mean);
  triple("image_std", base.std);
  if (j.contains("size") && j["size"].is_object() && j["size"].contains("height") &&
      j["size"]["height"].is_number_integer()) {
    base.size = j["size"]["height"].get<int64_t>();
  }
  return base;
}

}  // namespace setok::vision
