#pragma once
// Device strings ("cpu", "cuda", "cuda:N") and dtype names ("float32", "bf16", ...), parsed
// strictly so a typo in a config or flag is an error, not a silent fallback.
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace setok::runtime {

// Parses "cpu", "cuda" or "cuda:N". Throws setok::Error for anything else. Does not check that
// the device exists (see resolve_device).
c10::Device parse_device(const std::string& text);

// parse_device + availability: "cuda" on a machine or build without CUDA, or "cuda:3" with
// two GPUs, is an error naming what is available.
c10::Device resolve_device(const std::string& text);

// Accepts the canonical names (float32, float16, bfloat16, float64, int64, int32, int16, int8,
// uint8, bool) and the short aliases fp32/f32, fp16/f16/half, bf16, fp64/f64/double.
c10::ScalarType parse_dtype(const std::string& text);

// Canonical name: "float32", "bfloat16", ...
std::string dtype_name(c10::ScalarType dtype);

}  // namespace setok::runtime
