#include "setok/runtime/device.h"

#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "setok/runtime/error.h"

namespace setok::runtime {
namespace {

TEST(Device, ParsesCpuCudaAndIndex) {
  EXPECT_EQ(parse_device("cpu"), c10::Device(c10::kCPU));
  EXPECT_EQ(parse_device("cuda"), c10::Device(c10::kCUDA));
  EXPECT_EQ(parse_device("cuda:3"), c10::Device(c10::kCUDA, 3));
  EXPECT_FALSE(parse_device("cuda").has_index());
}

TEST(Device, RejectsAnythingElse) {
  for (const char* bad :
       {"", "CPU", "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1:2", "mps", " cpu", "cuda:99999"}) {
    EXPECT_THROW(parse_device(bad), Error) << "'" << bad << "'";
  }
}

TEST(Device, ResolveChecksAvailability) {
  EXPECT_EQ(resolve_device("cpu"), c10::Device(c10::kCPU));
  if (torch::cuda::device_count() == 0) {
    try {
      resolve_device("cuda");
      FAIL() << "cuda resolved on a CPU-only machine";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no CUDA device is available"), std::string::npos);
    }
  } else {
    EXPECT_NO_THROW(resolve_device("cuda:0"));
    EXPECT_THROW(resolve_device("cuda:" + std::to_string(torch::cuda::device_count())), Error);
  }
}

TEST(Dtype, NamesAndAliases) {
  EXPECT_EQ(parse_dtype("bf16"), c10::kBFloat16);
  EXPECT_EQ(parse_dtype("bfloat16"), c10::kBFloat16);
  EXPECT_EQ(parse_dtype("fp16"), c10::kHalf);
  EXPECT_EQ(parse_dtype("half"), c10::kHalf);
  EXPECT_EQ(parse_dtype("float32"), c10::kFloat);
  EXPECT_EQ(parse_dtype("double"), c10::kDouble);
  EXPECT_EQ(parse_dtype("uint8"), c10::kByte);
  for (auto t : {c10::kFloat, c10::kBFloat16, c10::kHalf, c10::kDouble, c10::kLong, c10::kInt,
                 c10::kShort, c10::kChar, c10::kByte, c10::kBool}) {
    EXPECT_EQ(parse_dtype(dtype_name(t)), t) << dtype_name(t);
  }
  EXPECT_THROW(parse_dtype("float8"), Error);
  EXPECT_THROW(parse_dtype("BF16"), Error);
}

}  // namespace
}  // namespace setok::runtime
