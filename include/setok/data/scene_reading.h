#pragma once
// Reading a picture of the synthetic world back: which scene colours it shows and how many
// objects — the instrument that scores generated and edited images of the demo world. Object
// colours are bright (some channel >= 150) and every background is dark (no channel above ~140,
// textures included), so a bright pixel belongs to an object and takes the nearest scene colour;
// an object is a 4-connected region of one colour of at least `min_area` pixels, and a colour is
// shown when its regions reach `min_area` in all; a region holds as many objects as its necks
// show, and at least its area over the largest one object can cover. Validated on ground-truth
// scenes (tests: >= 95 % exact object count and colour set); objects of one colour that overlap
// widely can still read as one, and an object cut in two by another as two.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::data {

struct SceneReading {
  std::vector<std::string> colours;  // sorted by name
  int64_t objects = 0;
  std::map<std::string, int64_t> objects_of;  // objects per colour (summing to `objects`)
};

// The fraction of `drawn`'s objects whose colour is not among `named` (0 when none was drawn).
double foreign_colour_fraction(const SceneReading& drawn, const std::vector<std::string>& named);

// image: uint8 [3, H, W] RGB.
SceneReading read_scene_image(const at::Tensor& image, int64_t min_area = 6);

// The same from model pixels: float [3, H, W] in [-1, 1] (clamped, then rounded to bytes as a
// saved PNG would be).
SceneReading read_scene_pixels(const at::Tensor& pixels, int64_t min_area = 6);

// Model pixels [3, H, W] in [-1, 1] -> uint8 [3, H, W] on the CPU, as written to a PNG.
at::Tensor pixels_to_bytes(const at::Tensor& pixels);

}  // namespace setok::data
