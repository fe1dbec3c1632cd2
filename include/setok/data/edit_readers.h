#pragma once
// Readers for the image-editing corpora as their publishers ship them (docs/data.md); each
// yields edit records (source image, instruction, target image).
#include <filesystem>

#include "setok/data/datasets.h"

namespace setok::data {

// InstructPix2Pix's generated dataset (e.g. clip-filtered-dataset/): seeds.json, a JSON array of
// [prompt folder, [seed, ...]], and per prompt folder a prompt.json whose "edit" is the
// instruction, with images <seed>_0.jpg (before) and <seed>_1.jpg (after). Every seed is a
// record (the release's loader draws one seed of a prompt at random per visit; `multiple` on
// the data entry scales an epoch instead). The dataset root is image_root, or seeds.json's
// folder. A bad entry or a missing / malformed prompt.json names the file and entry.
EditDataset load_instructpix2pix(const std::filesystem::path& seeds_json,
                                 const std::filesystem::path& image_root, bool skip_bad = false);

}  // namespace setok::data
