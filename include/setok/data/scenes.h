#pragma once
// Synthetic scenes: 1-6 objects (circle, square, triangle, star, diamond, hexagon) in named
// colours and two sizes on plain or textured backgrounds. Each scene comes with its instance
// mask and everything the demo needs in words: a caption, concept phrases, counting / colour /
// position Q&A and an edit (recolour, move, add or remove) rendered from the same scene. This is
// the built-in world the demo trains on and the ground truth for "do tokens follow objects".
//
// Drawing is tensor code (no OpenCV): the same geometry produces the pixels and the mask, so
// they agree by construction. Deterministic: a scene depends only on (seed, index).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::data {

struct SceneObject {
  std::string shape;   // circle, square, triangle, star, diamond, hexagon
  std::string colour;  // red, green, blue, yellow, purple, orange, cyan, white
  bool large = false;
  double cx = 0, cy = 0;  // centre, in pixels
  double radius = 0;      // half the extent, in pixels
  double angle = 0;       // rotation of polygons, radians

  std::string where;  // "top left", "center", ... (thirds of the image)

  std::string size_word() const { return large ? "large" : "small"; }
  std::string phrase() const;  // "large red circle"
};

struct Scene {
  int64_t image_size = 64;
  std::string background;  // plain, stripes, checker, noise
  std::string background_colour;
  std::vector<SceneObject> objects;  // drawing order (later ones occlude earlier ones)
  uint64_t texture_seed = 0;

  std::string caption() const;
  std::vector<std::string> phrases() const;
};

struct SceneOptions {
  int64_t image_size = 64;
  int64_t min_objects = 1;
  int64_t max_objects = 6;
  bool textures = true;
};

// The names usable in scenes.
const std::vector<std::string>& scene_shapes();
const std::vector<std::string>& scene_colours();
// The RGB of a scene colour (scene_colours()); an unknown name is an error.
std::array<uint8_t, 3> scene_colour_rgb(const std::string& name);

// Scene `index` of the world with `seed`.
Scene sample_scene(uint64_t seed, uint64_t index, const SceneOptions& options);

struct RenderedScene {
  at::Tensor image;  // uint8 [3, S, S]
  at::Tensor mask;   // uint8 [S, S]: 0 = background, k = objects[k - 1] (visible pixels)
};
RenderedScene render_scene(const Scene& scene);

// Questions about the scene with their answers: counting, colour and position.
struct QA {
  std::string question, answer;
  std::string type;  // count | colour | position
};
std::vector<QA> scene_questions(const Scene& scene);

// One of the scene's questions, asked alone (as a VQA record poses it): a question type drawn
// uniformly among those the scene has, then one of its questions of that type; deterministic in
// (seed, index).
QA sample_single_question(const Scene& scene, uint64_t seed, uint64_t index);

// An edit of the scene: the instruction and the edited scene.
struct SceneEdit {
  std::string kind;  // recolour, move, add, remove
  std::string instruction;
  Scene target;
};
SceneEdit sample_edit(const Scene& scene, uint64_t seed, uint64_t index, const SceneOptions& o);

}  // namespace setok::data
