#pragma once
// A small generated world for training tests: 48 scenes of 64 px (a sixth held out) with masks,
// pair / instruct / edit JSON and a SentencePiece model of their text, made once per process.
#include <filesystem>

#include "setok/data/scene_dataset.h"
#include "setok/text/sentencepiece.h"
#include "temp_dir.h"

namespace setok::test {

inline const std::filesystem::path& scene_world() {
  static TempDir dir;
  static bool made = false;
  if (!made) {
    data::SceneDatasetOptions o;
    o.num = 48;
    o.seed = 11;
    o.heldout_fraction = 1.0 / 6;
    o.threads = 1;
    o.scene.image_size = 64;
    data::write_scene_dataset(dir.path(), o);
    text::SpmTrainOptions s;
    s.vocab_size = 96;
    text::train_sentencepiece(dir / "text.txt", dir / "spm", s);
    made = true;
  }
  return dir.path();
}

}  // namespace setok::test
