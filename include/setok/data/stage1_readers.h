#pragma once
// Readers for the stage-1 corpora the released recipe names, as their publishers lay them out
// (docs/data.md). Each yields pair records (image, caption, phrases[, instance mask]) so stage 1
// trains and evaluates on them like on our own pair JSON.
#include <filesystem>

#include "setok/data/datasets.h"

namespace setok::data {

// ImageNet-1K as the released code expects it: data.json (a JSON array) + an image folder.
// Records: {"image": "n01440764/n01440764_10026.JPEG", "label": 0 | "n01440764" | "tench"} or
// {"image": ..., "class": "tench"}. The class name is the caption and the one phrase. An integer
// label (or a WordNet id) is named through `classes`: ImageNet's LOC_synset_mapping.txt
// ("n01440764 tench, Tinca tinca" per line; the name is the text up to the first comma) or a
// plain file with one name per line; line k is class k. Without `classes`, a string label is
// the name itself.
PairDataset load_imagenet(const std::filesystem::path& data_json,
                          const std::filesystem::path& image_root,
                          const std::filesystem::path& classes, bool skip_bad = false);

// COCO 2017 panoptic annotations (annotations/panoptic_{split}2017.json and its PNG folder)
// with captions (annotations/captions_{split}2017.json; optional). One record per panoptic
// annotation: the image (`images[].file_name` under image_root), the first caption of that
// image (without a captions file: the segments' category names joined), one phrase per segment
// (its category name, stuff included) and the PNG as the instance mask, segment i being
// instance i + 1; COCO's unlabelled pixels are background. `masks` defaults to the JSON's path
// without ".json" (COCO's own layout). Annotations without segments are left out (counted).
PairDataset load_coco_panoptic(const std::filesystem::path& panoptic_json,
                               const std::filesystem::path& captions_json,
                               const std::filesystem::path& masks,
                               const std::filesystem::path& image_root, bool skip_bad = false);

}  // namespace setok::data
