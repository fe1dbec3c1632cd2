#pragma once
// Loading HF SigLIP checkpoints (config.json + safetensors, sharded or not). The name maps live
// here, apart from the models.
#include <filesystem>

#include "setok/io/name_map.h"
#include "setok/vision/siglip_model.h"
#include "setok/vision/siglip_vision.h"

namespace setok::vision {

// HF SiglipModel / SiglipVisionModel names -> SiglipVisionModel names: drops "vision_model.",
// ignores the text tower and logit_* (and the pooling head when the model has none).
io::NameMap siglip_vision_name_map(bool use_head);

// A vision tower built from `folder`/config.json and loaded strictly from its weights.
SiglipVisionModel load_siglip_vision(const std::filesystem::path& folder);

// Both towers (HF SiglipModel names are ours, no map needed).
SiglipModel load_siglip(const std::filesystem::path& folder);

}  // namespace setok::vision
