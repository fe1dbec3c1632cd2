#pragma once
// Reading a pair record's instance label map (DESIGN §5.11, train/metrics.h for its use).
#include <ATen/core/Tensor.h>

#include "setok/data/datasets.h"

namespace setok::data {

// int64 [H, W]: 0 = background / unlabelled, k >= 1 = the object of record.phrases[k - 1].
// A one-channel id PNG (the synthetic scenes) is read as is; a COCO panoptic PNG (RGB, segment
// id = R + 256 G + 256^2 B) is mapped through record.mask_segments (segment i -> i + 1, any
// other id -> 0). Throws when the record has no mask or the file cannot be decoded (naming it).
at::Tensor read_instance_mask(const PairRecord& record);

// COCO panoptic segment ids of an RGB-encoded map: uint8 [3, H, W] -> int64 [H, W].
at::Tensor panoptic_ids(const at::Tensor& rgb);

}  // namespace setok::data
