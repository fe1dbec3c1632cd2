#pragma once
// `setok_data shapes`: writes a synthetic-scene dataset (format: docs/data.md).
#include <filesystem>
#include <string>

#include "setok/data/scenes.h"

namespace setok::data {

struct SceneDatasetOptions {
  int64_t num = 1000;
  uint64_t seed = 0;
  double heldout_fraction = 0.1;  // the last scenes form the held-out split
  int threads = 0;                // 0 = all cores
  SceneOptions scene;
};

struct SceneDatasetSummary {
  int64_t train = 0, heldout = 0;
  double mean_objects = 0;
};

// Renders every scene, its mask and its edit, and writes pair / instruct / edit JSON per split
// plus text.txt. instruct.json holds each scene's conversation (every question, the object count
// first); the training split also holds one question per scene asked alone (id "NNNNNN-single",
// sample_single_question), so every question type is trained as a first turn. Also writes
// text.txt (every caption, phrase, question, answer and instruction: input for
// `setok_data spm`). Errors name the file that could not be written.
SceneDatasetSummary write_scene_dataset(const std::filesystem::path& out,
                                        const SceneDatasetOptions& options);

}  // namespace setok::data
