#include "setok/scores/image_quality.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include "setok/io/image.h"
#include "setok/runtime/error.h"

namespace setok::scores {

namespace fs = std::filesystem;

namespace {

// [C, H, W] in [0, 1], float64 (the scores are small sums of many terms).
at::Tensor unit_range(const at::Tensor& image, const char* what) {
  if (image.dim() != 3)
    throw Error(std::string("image score: the ") + what + " must be [C, H, W], got " +
                std::to_string(image.dim()) + " dims");
  at::Tensor x = image.to(at::kCPU);
  if (x.scalar_type() == at::kByte) return x.to(at::kDouble) / 255.0;
  if (!at::isFloatingType(x.scalar_type()))
    throw Error(std::string("image score: the ") + what + " must be uint8 or floating point");
  return x.to(at::kDouble);
}

void same_shape(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes())
    throw Error("image score: prediction " + std::to_string(a.size(1)) + "x" +
                std::to_string(a.size(2)) + " vs reference " + std::to_string(b.size(1)) + "x" +
                std::to_string(b.size(2)) + " (channels " + std::to_string(a.size(0)) + " / " +
                std::to_string(b.size(0)) + ")");
}

// The normalised 11 x 11 Gaussian (sigma 1.5) as a [1, 1, 11, 11] filter.
at::Tensor gaussian_window() {
  std::vector<double> g(11);
  double sum = 0;
  for (int i = 0; i < 11; ++i) {
    g[static_cast<size_t>(i)] = std::exp(-((i - 5) * (i - 5)) / (2 * 1.5 * 1.5));
    sum += g[static_cast<size_t>(i)];
  }
  const at::Tensor v = at::tensor(g, at::kDouble) / sum;  // [11]
  return at::outer(v, v).view({1, 1, 11, 11});
}

}  // namespace

double image_psnr(const at::Tensor& prediction, const at::Tensor& reference) {
  const at::Tensor p = unit_range(prediction, "prediction");
  const at::Tensor r = unit_range(reference, "reference");
  same_shape(p, r);
  const double mse = std::max((p - r).pow(2).mean().item<double>(), 1e-10);
  return 10.0 * std::log10(1.0 / mse);
}

double image_ssim(const at::Tensor& prediction, const at::Tensor& reference) {
  const at::Tensor p = unit_range(prediction, "prediction");
  const at::Tensor r = unit_range(reference, "reference");
  same_shape(p, r);
  if (p.size(1) < 11 || p.size(2) < 11)
    throw Error("image score: SSIM needs at least 11 x 11 pixels, got " +
                std::to_string(p.size(1)) + "x" + std::to_string(p.size(2)));
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const at::Tensor w = gaussian_window();
  // Channels as a batch of one-channel images: [C, 1, H, W] -> local statistics [C, 1, H-10, W-10].
  const at::Tensor x = p.unsqueeze(1), y = r.unsqueeze(1);
  auto local = [&](const at::Tensor& t) { return at::conv2d(t, w); };
  const at::Tensor mx = local(x), my = local(y);
  const at::Tensor sxx = local(x * x) - mx * mx;
  const at::Tensor syy = local(y * y) - my * my;
  const at::Tensor sxy = local(x * y) - mx * my;
  const at::Tensor map =
      ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
  return map.mean().item<double>();  // the mean over positions of each channel, then channels
}

io::Json ImageScore::to_json() const {
  return {{"psnr", psnr}, {"ssim", ssim}, {"images", images}};
}

ImageScore score_images(const fs::path& predictions, const fs::path& references) {
  for (const fs::path& dir : {predictions, references})
    if (!fs::is_directory(dir)) throw Error(dir.string() + ": not a folder");
  std::vector<fs::path> names;
  for (const auto& entry : fs::directory_iterator(references))
    if (entry.is_regular_file()) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  if (names.empty()) throw Error(references.string() + ": no images");
  ImageScore s;
  for (const fs::path& name : names) {
    const fs::path pred = predictions / name;
    if (!fs::is_regular_file(pred))
      throw Error(pred.string() + ": no prediction for reference " + (references / name).string());
    const at::Tensor a = io::read_image(pred), b = io::read_image(references / name);
    try {
      s.psnr += image_psnr(a, b);
      s.ssim += image_ssim(a, b);
    } catch (const Error& e) {
      throw Error(pred.string() + ": " + e.what());
    }
    ++s.images;
  }
  s.psnr /= static_cast<double>(s.images);
  s.ssim /= static_cast<double>(s.images);
  return s;
}

}  // namespace setok::scores
