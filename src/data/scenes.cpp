#include "setok/data/scenes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "setok/runtime/error.h"

namespace setok::data {

namespace {

struct Rgb {
  uint8_t r, g, b;
};

const std::vector<std::pair<std::string, Rgb>>& colour_table() {
  static const std::vector<std::pair<std::string, Rgb>> t = {
      {"red", {220, 40, 40}},     {"green", {40, 180, 60}},   {"blue", {40, 80, 220}},
      {"yellow", {230, 210, 40}}, {"purple", {150, 60, 200}}, {"orange", {240, 140, 30}},
      {"cyan", {40, 200, 210}},   {"white", {240, 240, 240}},
  };
  return t;
}

const std::vector<std::pair<std::string, Rgb>>& background_table() {
  static const std::vector<std::pair<std::string, Rgb>> t = {
      {"gray", {95, 95, 95}},  {"navy", {30, 40, 85}},  {"dark green", {30, 70, 40}},
      {"brown", {90, 60, 40}}, {"black", {20, 20, 20}},
  };
  return t;
}

Rgb colour_of(const std::string& name) {
  for (const auto& [n, c] : colour_table()) {
    if (n == name) return c;
  }
  throw Error("unknown scene colour '" + name + "'");
}

// Portable draws from a 64-bit engine (std distributions differ between standard libraries).
struct Rng {
  std::mt19937_64 engine;
  explicit Rng(uint64_t seed) : engine(seed) {}
  double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int64_t below(int64_t n) { return static_cast<int64_t>(engine() % static_cast<uint64_t>(n)); }
};

uint64_t mix_scene(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string where_words(double cx, double cy, double size) {
  const char* rows[] = {"top", "middle", "bottom"};
  const char* cols[] = {"left", "center", "right"};
  const int r = std::min(2, static_cast<int>(cy / size * 3));
  const int c = std::min(2, static_cast<int>(cx / size * 3));
  if (r == 1 && c == 1) return "center";
  if (r == 1) return cols[c];
  if (c == 1) return rows[r];
  return std::string(rows[r]) + " " + cols[c];
}

SceneObject random_object(Rng& rng, double size, const std::vector<SceneObject>& others) {
  SceneObject o;
  o.shape = scene_shapes()[rng.below(static_cast<int64_t>(scene_shapes().size()))];
  o.colour = scene_colours()[rng.below(static_cast<int64_t>(scene_colours().size()))];
  o.large = rng.uniform() < 0.5;
  o.radius = size * (o.large ? rng.uniform(0.15, 0.21) : rng.uniform(0.08, 0.12));
  o.angle = rng.uniform(0, 2 * M_PI);
  // Keep objects mostly apart, so each stays visible: up to 30 tries, then accept overlap.
  for (int attempt = 0; attempt < 30; ++attempt) {
    o.cx = rng.uniform(o.radius, size - o.radius);
    o.cy = rng.uniform(o.radius, size - o.radius);
    bool clear = true;
    for (const auto& p : others) {
      clear = clear && std::hypot(o.cx - p.cx, o.cy - p.cy) > 0.9 * (o.radius + p.radius);
    }
    if (clear) break;
  }
  o.where = where_words(o.cx, o.cy, size);
  return o;
}

std::string number_word(int64_t n) {
  static const char* words[] = {"zero", "one", "two",   "three", "four",
                                "five", "six", "seven", "eight"};
  return n >= 0 && n <= 8 ? words[n] : std::to_string(n);
}

std::string article(const std::string& word) {
  return std::string("aeiou").find(word[0]) != std::string::npos ? "an" : "a";
}

// Polygon vertices (x, y) for a shape.
std::vector<std::pair<double, double>> polygon(const SceneObject& o) {
  std::vector<std::pair<double, double>> v;
  auto ring = [&](int n, double radius, double phase) {
    for (int i = 0; i < n; ++i) {
      const double a = o.angle + phase + 2 * M_PI * i / n;
      v.emplace_back(o.cx + radius * std::cos(a), o.cy + radius * std::sin(a));
    }
  };
  if (o.shape == "square") ring(4, o.radius * std::sqrt(2.0), M_PI / 4);
  if (o.shape == "diamond") ring(4, o.radius * 1.15, 0);
  if (o.shape == "triangle") ring(3, o.radius * 1.25, -M_PI / 2);
  if (o.shape == "hexagon") ring(6, o.radius * 1.05, 0);
  if (o.shape == "star") {
    for (int i = 0; i < 10; ++i) {
      const double radius = i % 2 == 0 ? o.radius * 1.3 : o.radius * 0.55;
      const double a = o.angle - M_PI / 2 + M_PI * i / 5;
      v.emplace_back(o.cx + radius * std::cos(a), o.cy + radius * std::sin(a));
    }
  }
  return v;
}

// bool [S, S]: pixel centres inside the object (crossing-number test for polygons).
at::Tensor inside(const SceneObject& o, const at::Tensor& xs, const at::Tensor& ys) {
  if (o.shape == "circle") return (xs - o.cx).pow(2) + (ys - o.cy).pow(2) <= o.radius * o.radius;
  const auto v = polygon(o);
  if (v.empty()) throw Error("unknown scene shape '" + o.shape + "'");
  at::Tensor in = at::zeros(xs.sizes(), at::kBool);
  for (size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
    const auto [xi, yi] = v[i];
    const auto [xj, yj] = v[j];
    if (yi == yj) continue;
    const at::Tensor crosses = (ys < yi) != (ys < yj);
    const at::Tensor x_at = (xj - xi) * (ys - yi) / (yj - yi) + xi;
    in = in ^ (crosses & (xs < x_at));
  }
  return in;
}

at::Tensor rgb_tensor(Rgb c) {
  return at::tensor({static_cast<float>(c.r), static_cast<float>(c.g), static_cast<float>(c.b)})
      .view({3, 1, 1});
}

}  // namespace

const std::vector<std::string>& scene_shapes() {
  static const std::vector<std::string> s = {"circle", "square",  "triangle",
                                             "star",   "diamond", "hexagon"};
  return s;
}

std::array<uint8_t, 3> scene_colour_rgb(const std::string& name) {
  const Rgb c = colour_of(name);
  return {c.r, c.g, c.b};
}

const std::vector<std::string>& scene_colours() {
  static const std::vector<std::string> c = [] {
    std::vector<std::string> names;
    for (const auto& [n, rgb] : colour_table()) names.push_back(n);
    return names;
  }();
  return c;
}

std::string SceneObject::phrase() const {
  return size_word() + " " + colour + " " + shape;
}

std::string Scene::caption() const {
  std::string list;
  for (size_t i = 0; i < objects.size(); ++i) {
    const std::string p = objects[i].phrase();
    if (i > 0) list += i + 1 == objects.size() ? " and " : ", ";
    list += article(p) + " " + p;
  }
  const std::string bg = background == "plain"     ? "plain"
                         : background == "stripes" ? "striped"
                         : background == "checker" ? "checkered"
                                                   : "noisy";
  return number_word(static_cast<int64_t>(objects.size())) +
         (objects.size() == 1 ? " object: " : " objects: ") + list + " on a " + bg + " " +
         background_colour + " background";
}

std::vector<std::string> Scene::phrases() const {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o.phrase());
  return out;
}

Scene sample_scene(uint64_t seed, uint64_t index, const SceneOptions& o) {
  if (o.image_size < 16) throw Error("scenes: image size must be >= 16");
  if (o.min_objects < 1 || o.max_objects < o.min_objects) {
    throw Error("scenes: need 1 <= min_objects <= max_objects");
  }
  Rng rng(mix_scene(seed, index));
  Scene s;
  s.image_size = o.image_size;
  const auto& bgs = background_table();
  s.background_colour = bgs[rng.below(static_cast<int64_t>(bgs.size()))].first;
  static const char* kinds[] = {"plain", "stripes", "checker", "noise"};
  s.background = o.textures ? kinds[rng.below(4)] : "plain";
  s.texture_seed = rng.engine();
  const int64_t n = o.min_objects + rng.below(o.max_objects - o.min_objects + 1);
  for (int64_t i = 0; i < n; ++i) {
    s.objects.push_back(random_object(rng, static_cast<double>(o.image_size), s.objects));
  }
  return s;
}

RenderedScene render_scene(const Scene& s) {
  const int64_t S = s.image_size;
  const at::Tensor coords = at::arange(S, at::kFloat) + 0.5;
  const at::Tensor ys = coords.view({S, 1}).expand({S, S});
  const at::Tensor xs = coords.view({1, S}).expand({S, S});
  Rgb bg{0, 0, 0};
  for (const auto& [n, c] : background_table()) {
    if (n == s.background_colour) bg = c;
  }
  at::Tensor image = rgb_tensor(bg).expand({3, S, S}).clone();  // [3, S, S] float
  if (s.background == "stripes" || s.background == "checker") {
    const double period = 4.0 + static_cast<double>(s.texture_seed % 5);
    at::Tensor band = at::floor(xs / period);
    if (s.background == "checker")
      band = band + at::floor(ys / period);
    else if (s.texture_seed % 2 == 1)
      band = at::floor(ys / period);
    const at::Tensor odd = at::fmod(band, 2.0).eq(1.0);
    image = at::where(odd.unsqueeze(0), image + 35.0, image);
  } else if (s.background == "noise") {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(s.texture_seed);
    image = image + 14.0 * at::randn({1, S, S}, gen, at::kFloat);
  }
  at::Tensor mask = at::zeros({S, S}, at::kByte);
  for (size_t k = 0; k < s.objects.size(); ++k) {
    const at::Tensor in = inside(s.objects[k], xs, ys);  // [S, S]
    image = at::where(in.unsqueeze(0), rgb_tensor(colour_of(s.objects[k].colour)), image);
    mask.masked_fill_(in, static_cast<int64_t>(k + 1));
  }
  return {image.round().clamp(0, 255).to(at::kByte), mask};
}

namespace {
// A description that picks out object k alone ("red circle", else "large red circle"), or "".
std::string unique_name(const Scene& s, size_t k) {
  const auto& o = s.objects[k];
  int same_cs = 0, same_all = 0;
  for (const auto& p : s.objects) {
    same_cs += p.colour == o.colour && p.shape == o.shape;
    same_all += p.colour == o.colour && p.shape == o.shape && p.large == o.large;
  }
  if (same_cs == 1) return o.colour + " " + o.shape;
  if (same_all == 1) return o.phrase();
  return "";
}
}  // namespace

std::vector<QA> scene_questions(const Scene& s) {
  std::vector<QA> qa;
  const int64_t n = static_cast<int64_t>(s.objects.size());
  qa.push_back({"How many objects are in the image?", number_word(n), "count"});
  std::map<std::string, int64_t> per_shape;
  for (const auto& o : s.objects) per_shape[o.shape]++;
  const std::string& first_shape = s.objects.front().shape;
  qa.push_back(
      {"How many " + first_shape + "s are there?", number_word(per_shape[first_shape]), "count"});
  for (size_t k = 0; k < s.objects.size(); ++k) {
    const auto& o = s.objects[k];
    if (per_shape[o.shape] == 1)
      qa.push_back({"What color is the " + o.shape + "?", o.colour, "colour"});
    const std::string name = unique_name(s, k);
    if (!name.empty()) qa.push_back({"Where is the " + name + "?", o.where, "position"});
  }
  return qa;
}

QA sample_single_question(const Scene& s, uint64_t seed, uint64_t index) {
  Rng rng(mix_scene(mix_scene(seed, index), 0x51A61E));
  const std::vector<QA> all = scene_questions(s);
  std::vector<std::string> types;
  for (const auto& q : all)
    if (std::find(types.begin(), types.end(), q.type) == types.end()) types.push_back(q.type);
  const std::string& type =
      types[static_cast<size_t>(rng.below(static_cast<int64_t>(types.size())))];
  std::vector<const QA*> of_type;
  for (const auto& q : all)
    if (q.type == type) of_type.push_back(&q);
  return *of_type[static_cast<size_t>(rng.below(static_cast<int64_t>(of_type.size())))];
}

SceneEdit sample_edit(const Scene& s, uint64_t seed, uint64_t index, const SceneOptions& opt) {
  Rng rng(mix_scene(mix_scene(seed, index), 0xED17));
  SceneEdit e;
  e.target = s;
  std::vector<size_t> nameable;
  for (size_t k = 0; k < s.objects.size(); ++k) {
    if (!unique_name(s, k).empty()) nameable.push_back(k);
  }
  std::vector<std::string> kinds;
  if (!nameable.empty()) kinds = {"recolour", "move"};
  if (static_cast<int64_t>(s.objects.size()) < opt.max_objects) kinds.push_back("add");
  if (!nameable.empty() && s.objects.size() > 1) kinds.push_back("remove");
  if (kinds.empty()) kinds.push_back("recolour");  // cannot happen: one object is always nameable
  e.kind = kinds[rng.below(static_cast<int64_t>(kinds.size()))];
  const double size = static_cast<double>(s.image_size);
  if (e.kind == "add") {
    SceneObject o = random_object(rng, size, s.objects);
    e.target.objects.push_back(o);
    e.instruction = "add " + article(o.phrase()) + " " + o.phrase();
    return e;
  }
  const size_t k = nameable[rng.below(static_cast<int64_t>(nameable.size()))];
  const std::string name = unique_name(s, k);
  SceneObject& o = e.target.objects[k];
  if (e.kind == "recolour") {
    std::string c = o.colour;
    while (c == o.colour)
      c = scene_colours()[rng.below(static_cast<int64_t>(scene_colours().size()))];
    o.colour = c;
    e.instruction = "make the " + name + " " + c;
  } else if (e.kind == "move") {
    const std::string from = o.where;
    for (int attempt = 0; attempt < 30 && o.where == from; ++attempt) {
      o.cx = rng.uniform(o.radius, size - o.radius);
      o.cy = rng.uniform(o.radius, size - o.radius);
      o.where = where_words(o.cx, o.cy, size);
    }
    e.instruction = "move the " + name + " to the " + o.where;
  } else {
    e.target.objects.erase(e.target.objects.begin() + static_cast<int64_t>(k));
    e.instruction = "remove the " + name;
  }
  return e;
}

}  // namespace setok::data
