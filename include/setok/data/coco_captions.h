#pragma once
// COCO captions as COCO ships them (annotations/captions_{split}2017.json, or 2014), as pair
// records for captioning and text-to-image generation (docs/data.md).
#include <filesystem>

#include "setok/data/datasets.h"

namespace setok::data {

// One record per caption annotation ({"image_id", "caption"}), its image named by the file's
// "images" ({"id", "file_name"}) under image_root; the caption is trimmed of surrounding
// whitespace (COCO's carry stray spaces and newlines); no phrases. An annotation whose image id
// is not listed, or a field of the wrong type, names the file and annotation (or is a counted
// skip with skip_bad). The annotations are streamed (the file's whole tree is never built) and
// joined with "images" once the file is read, so a bad field is reported before an unlisted
// image.
PairDataset load_coco_captions(const std::filesystem::path& captions_json,
                               const std::filesystem::path& image_root, bool skip_bad = false);

}  // namespace setok::data
