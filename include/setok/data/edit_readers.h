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

// MagicBrush (osunlp/MagicBrush) in the layout of its released split: edit_sessions.json, an
// object keyed by image id whose value lists the session's turns in order, each {"input",
// "mask", "output", "instruction"} naming files in images/<image id>/ ("327726-input.png",
// "327726-output1.png", ...). Every turn is a record (source = its input, target = its output),
// so a multi-turn session becomes successive edits, turn k starting from turn k - 1's target;
// the mask is not used. The root (holding images/) is image_root, or the JSON's folder. The
// training and dev splits ship as parquet on the Hugging Face hub; docs/data.md shows the
// one-off export to this layout. Sessions in key order; an entry's index counts turns.
EditDataset load_magicbrush(const std::filesystem::path& edit_sessions_json,
                            const std::filesystem::path& image_root, bool skip_bad = false);

}  // namespace setok::data
