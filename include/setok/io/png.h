#pragma once
// A PNG codec on zlib alone: what image files mean in a build without OpenCV (the GPU machines
// have no OpenCV C++ library, ../shared/gpu/README.md), so that the scene world, the trainers'
// sample sheets and the inference pictures work there. The OpenCV build keeps using OpenCV and
// only the tests run this codec beside it.
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::io {

// False when the build found no zlib (then the functions below throw a clear error).
bool png_codec_available();

// The 8-byte PNG signature starts `bytes`.
bool is_png(const std::string& bytes);

// Decodes a non-interlaced PNG of any colour type (grey, RGB, palette, grey + alpha, RGBA) and
// bit depth (1, 2, 4, 8 for grey and palette; 8 or 16 otherwise) into uint8 [3, H, W] RGB, as
// the OpenCV build returns it: grey is repeated, alpha dropped, 16-bit scaled by 1/257. Chunk
// CRCs are checked; every failure names `label`.
at::Tensor decode_png(const std::string& bytes, const std::string& label);

// Encodes uint8 [3, H, W] (RGB) or [1, H, W] (grey) as an 8-bit PNG.
std::string encode_png(const at::Tensor& image, const std::string& label);

}  // namespace setok::io
