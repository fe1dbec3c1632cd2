#include "setok/runtime/device.h"

#include <cctype>
#include <string_view>
#include <utility>

#include <torch/cuda.h>

#include "setok/runtime/error.h"

namespace setok::runtime {

c10::Device parse_device(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::DeviceType::CPU);
  if (text == "cuda") return c10::Device(c10::DeviceType::CUDA);
  const std::string_view prefix = "cuda:";
  if (text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0) {
    const std::string digits = text.substr(prefix.size());
    bool all_digits = digits.size() <= 3;
    for (char c : digits) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
    if (all_digits) {
      return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(std::stoi(digits)));
    }
  }
  throw Error("invalid device '" + text + "': expected cpu, cuda or cuda:N");
}

c10::Device resolve_device(const std::string& text) {
  const c10::Device device = parse_device(text);
  if (device.is_cuda()) {
    const auto count = torch::cuda::device_count();
    if (count == 0) {
      throw Error("device '" + text +
                  "' requested, but no CUDA device is available (this build or machine is "
                  "CPU-only); use --device cpu");
    }
    if (device.has_index() && device.index() >= static_cast<c10::DeviceIndex>(count)) {
      throw Error("device '" + text + "' requested, but only " + std::to_string(count) +
                  " CUDA device(s) exist (cuda:0..cuda:" + std::to_string(count - 1) + ")");
    }
  }
  return device;
}

namespace {
const std::pair<const char*, c10::ScalarType> kDtypeNames[] = {
    {"float32", c10::kFloat}, {"fp32", c10::kFloat},        {"f32", c10::kFloat},
    {"float", c10::kFloat},   {"bfloat16", c10::kBFloat16}, {"bf16", c10::kBFloat16},
    {"float16", c10::kHalf},  {"fp16", c10::kHalf},         {"f16", c10::kHalf},
    {"half", c10::kHalf},     {"float64", c10::kDouble},    {"fp64", c10::kDouble},
    {"f64", c10::kDouble},    {"double", c10::kDouble},     {"int64", c10::kLong},
    {"int32", c10::kInt},     {"int16", c10::kShort},       {"int8", c10::kChar},
    {"uint8", c10::kByte},    {"bool", c10::kBool},
};
}  // namespace

c10::ScalarType parse_dtype(const std::string& text) {
  for (const auto& [name, dtype] : kDtypeNames) {
    if (text == name) return dtype;
  }
  throw Error("unknown dtype '" + text +
              "': expected one of float32, bfloat16, float16, float64, int64, int32, int16, "
              "int8, uint8, bool (aliases fp32, bf16, fp16, half, fp64, double)");
}

std::string dtype_name(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat:
      return "float32";
    case c10::kBFloat16:
      return "bfloat16";
    case c10::kHalf:
      return "float16";
    case c10::kDouble:
      return "float64";
    case c10::kLong:
      return "int64";
    case c10::kInt:
      return "int32";
    case c10::kShort:
      return "int16";
    case c10::kChar:
      return "int8";
    case c10::kByte:
      return "uint8";
    case c10::kBool:
      return "bool";
    default:
      return c10::toString(dtype);
  }
}

}  // namespace setok::runtime
