#include "setok/data/scene_reading.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <ATen/ATen.h>

#include "setok/data/scenes.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace {

constexpr int kBright = 150;  // a pixel with a channel at least this belongs to an object
constexpr int kMaxErosion = 5;
constexpr int64_t kMinPiece = 10;  // an eroded piece this large is an object's core

// Marks in `in` (and `seen`) the 4-connected pixels of `colour` reachable from `start`; returns
// how many.
int64_t flood(const std::vector<int>& label, int64_t H, int64_t W, int64_t start, int colour,
              std::vector<bool>& seen, std::vector<uint8_t>& in) {
  std::vector<int64_t> stack{start};
  seen[static_cast<size_t>(start)] = true;
  int64_t area = 0;
  while (!stack.empty()) {
    const int64_t i = stack.back();
    stack.pop_back();
    in[static_cast<size_t>(i)] = 1;
    ++area;
    const int64_t y = i / W, x = i % W;
    const int64_t next[4] = {y > 0 ? i - W : -1, y + 1 < H ? i + W : -1, x > 0 ? i - 1 : -1,
                             x + 1 < W ? i + 1 : -1};
    for (const int64_t j : next) {
      if (j < 0 || seen[static_cast<size_t>(j)] || label[static_cast<size_t>(j)] != colour)
        continue;
      seen[static_cast<size_t>(j)] = true;
      stack.push_back(j);
    }
  }
  return area;
}

// 4-connected components of a binary mask with at least `min_area` pixels.
int64_t components(const std::vector<uint8_t>& mask, int64_t H, int64_t W, int64_t min_area) {
  std::vector<int> label(mask.size(), -1);
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) label[i] = 0;
  std::vector<bool> seen(mask.size(), false);
  std::vector<uint8_t> scratch(mask.size(), 0);
  int64_t n = 0;
  for (int64_t i = 0; i < H * W; ++i) {
    if (label[static_cast<size_t>(i)] < 0 || seen[static_cast<size_t>(i)]) continue;
    n += flood(label, H, W, i, 0, seen, scratch) >= min_area;
  }
  return n;
}

// One pixel of 4-neighbourhood erosion (the image border counts as outside).
std::vector<uint8_t> erode(const std::vector<uint8_t>& mask, int64_t H, int64_t W) {
  std::vector<uint8_t> out(mask.size(), 0);
  for (int64_t y = 1; y + 1 < H; ++y)
    for (int64_t x = 1; x + 1 < W; ++x) {
      const int64_t i = y * W + x;
      out[static_cast<size_t>(i)] =
          mask[static_cast<size_t>(i)] && mask[static_cast<size_t>(i - 1)] &&
          mask[static_cast<size_t>(i + 1)] && mask[static_cast<size_t>(i - W)] &&
          mask[static_cast<size_t>(i + W)];
    }
  return out;
}

// Objects of one colour that touch make one region; eroding it a few pixels cuts the necks
// between them (the shapes are convex, or stars whose arms vanish first), so the region holds
// as many objects as the most pieces seen over erosions 0..kMaxErosion (at least one).
int64_t objects_in_region(std::vector<uint8_t> mask, int64_t H, int64_t W) {
  int64_t most = 1;
  for (int k = 1; k <= kMaxErosion; ++k) {
    mask = erode(mask, H, W);
    most = std::max(most, components(mask, H, W, kMinPiece));
  }
  return most;
}

// The most pixels one object of the world can cover in an H x W picture: the largest square
// (half-extent 0.21 of the side, data/scenes), unoccluded. A region of one colour larger than
// this holds at least two objects however they overlap.
double largest_object_area(int64_t H, int64_t W) {
  const double side = 2 * 0.21 * static_cast<double>(std::max(H, W));
  return side * side;
}

}  // namespace

SceneReading read_scene_image(const at::Tensor& image, int64_t min_area) {
  if (!image.defined() || image.dim() != 3 || image.size(0) != 3 ||
      image.scalar_type() != at::kByte)
    throw Error("read_scene_image: expected uint8 [3, H, W], got " +
                (image.defined() ? c10::str(image.sizes()) : std::string("none")));
  const int64_t H = image.size(1), W = image.size(2);
  const at::Tensor px = image.to(at::kCPU).permute({1, 2, 0}).contiguous();  // [H, W, 3]
  const uint8_t* p = px.data_ptr<uint8_t>();
  const auto& names = scene_colours();
  std::vector<std::array<uint8_t, 3>> palette;
  for (const auto& n : names) palette.push_back(scene_colour_rgb(n));
  // Each pixel: the nearest scene colour when bright, else -1 (background).
  std::vector<int> label(static_cast<size_t>(H * W), -1);
  for (int64_t i = 0; i < H * W; ++i) {
    const uint8_t* c = p + 3 * i;
    if (std::max({c[0], c[1], c[2]}) < kBright) continue;
    int best = 0;
    int64_t best_d = std::numeric_limits<int64_t>::max();
    for (size_t k = 0; k < palette.size(); ++k) {
      int64_t d = 0;
      for (int ch = 0; ch < 3; ++ch) {
        const int64_t e = static_cast<int64_t>(c[ch]) - palette[k][static_cast<size_t>(ch)];
        d += e * e;
      }
      if (d < best_d) {
        best_d = d;
        best = static_cast<int>(k);
      }
    }
    label[static_cast<size_t>(i)] = best;
  }
  // 4-connected regions of one colour; each counts the objects it holds.
  std::vector<bool> seen(label.size(), false);
  std::vector<int64_t> area_of(names.size(), 0);
  SceneReading out;
  for (int64_t start = 0; start < H * W; ++start) {
    const int colour = label[static_cast<size_t>(start)];
    if (colour < 0 || seen[static_cast<size_t>(start)]) continue;
    std::vector<uint8_t> in(label.size(), 0);  // this region
    const int64_t area = flood(label, H, W, start, colour, seen, in);
    area_of[static_cast<size_t>(colour)] += area;
    if (area >= min_area) {
      const int64_t n = std::max(
          objects_in_region(in, H, W),
          static_cast<int64_t>(std::ceil(static_cast<double>(area) / largest_object_area(H, W))));
      out.objects += n;
      out.objects_of[names[static_cast<size_t>(colour)]] += n;
    }
  }
  for (size_t k = 0; k < names.size(); ++k)
    if (area_of[k] >= min_area) out.colours.push_back(names[k]);
  std::sort(out.colours.begin(), out.colours.end());
  return out;
}

at::Tensor pixels_to_bytes(const at::Tensor& pixels) {
  return ((pixels.detach().to(at::kCPU, at::kFloat).clamp(-1, 1) + 1) * 127.5)
      .round()
      .to(at::kByte);
}

SceneReading read_scene_pixels(const at::Tensor& pixels, int64_t min_area) {
  return read_scene_image(pixels_to_bytes(pixels), min_area);
}

double foreign_colour_fraction(const SceneReading& drawn, const std::vector<std::string>& named) {
  if (drawn.objects == 0) return 0.0;
  int64_t foreign = 0;
  for (const auto& [colour, n] : drawn.objects_of)
    if (std::find(named.begin(), named.end(), colour) == named.end()) foreign += n;
  return static_cast<double>(foreign) / static_cast<double>(drawn.objects);
}

}  // namespace setok::data
