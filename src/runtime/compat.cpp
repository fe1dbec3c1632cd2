#include "setok/runtime/compat.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include <ATen/autocast_mode.h>
#ifdef SETOK_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "setok/runtime/error.h"

namespace setok::compat {

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

bool has_fused_sdpa() {
  return SETOK_TORCH_VERSION_AT_LEAST(2, 1);
}

at::Tensor fused_sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                      const at::Tensor& mask, double dropout_p, bool causal,
                      std::optional<double> scale) {
#if SETOK_TORCH_VERSION_AT_LEAST(2, 1)
  // An undefined tensor must reach ATen as "no mask", not as an optional holding nothing.
  c10::optional<at::Tensor> attn_mask;
  if (mask.defined()) attn_mask = mask;
  c10::optional<double> aten_scale;
  if (scale) aten_scale = *scale;
  return at::scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, causal, aten_scale);
#else
  (void)q, (void)k, (void)v, (void)mask, (void)dropout_p, (void)causal, (void)scale;
  throw Error("fused attention needs LibTorch >= 2.1 (this is " + torch_version() + ")");
#endif
}

// The allocator's free functions take an int (1.13) or a c10::DeviceIndex (2.x); StatArray index
// 0 is the aggregate over pools in every version.
int64_t cuda_peak_allocated_bytes(int device) {
#ifdef SETOK_WITH_CUDA
  namespace alloc = c10::cuda::CUDACachingAllocator;
  return alloc::getDeviceStats(static_cast<c10::DeviceIndex>(device)).allocated_bytes[0].peak;
#else
  (void)device;
  return -1;
#endif
}

void reset_cuda_peak_memory(int device) {
#ifdef SETOK_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
  (void)device;
#endif
}

namespace {
void check_autocast_device(c10::DeviceType device) {
  if (device != c10::DeviceType::CPU && device != c10::DeviceType::CUDA) {
    throw Error("autocast is supported on cpu and cuda only, not " + c10::DeviceTypeName(device));
  }
}
}  // namespace

#if SETOK_TORCH_VERSION_AT_LEAST(2, 4)
void set_autocast_enabled(c10::DeviceType device, bool enabled) {
  check_autocast_device(device);
  at::autocast::set_autocast_enabled(device, enabled);
}
bool is_autocast_enabled(c10::DeviceType device) {
  check_autocast_device(device);
  return at::autocast::is_autocast_enabled(device);
}
void set_autocast_dtype(c10::DeviceType device, c10::ScalarType dtype) {
  check_autocast_device(device);
  at::autocast::set_autocast_dtype(device, dtype);
}
c10::ScalarType autocast_dtype(c10::DeviceType device) {
  check_autocast_device(device);
  return at::autocast::get_autocast_dtype(device);
}
#else
void set_autocast_enabled(c10::DeviceType device, bool enabled) {
  check_autocast_device(device);
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_cpu_enabled(enabled);
  }
}
bool is_autocast_enabled(c10::DeviceType device) {
  check_autocast_device(device);
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled()
                                         : at::autocast::is_cpu_enabled();
}
void set_autocast_dtype(c10::DeviceType device, c10::ScalarType dtype) {
  check_autocast_device(device);
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
c10::ScalarType autocast_dtype(c10::DeviceType device) {
  check_autocast_device(device);
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                         : at::autocast::get_autocast_cpu_dtype();
}
#endif

void clear_autocast_cache() {
  at::autocast::clear_cache();
}

AutocastGuard::AutocastGuard(c10::DeviceType device, c10::ScalarType dtype, bool enabled)
    : device_(device),
      prev_enabled_(is_autocast_enabled(device)),
      prev_dtype_(autocast_dtype(device)) {
  set_autocast_dtype(device, dtype);
  set_autocast_enabled(device, enabled);
}

AutocastGuard::~AutocastGuard() {
  set_autocast_enabled(device_, prev_enabled_);
  set_autocast_dtype(device_, prev_dtype_);
  clear_autocast_cache();
}

void set_tf32(bool on) {
  at::globalContext().setFloat32MatmulPrecision(on ? "high" : "highest");
  at::globalContext().setAllowTF32CuDNN(on);
}

namespace {
// The name setFloat32MatmulPrecision takes: LibTorch 2.x (2.11 at least) dropped the enum
// overload, and both versions read these names.
const char* matmul_precision_name(at::Float32MatmulPrecision p) {
  switch (p) {
    case at::Float32MatmulPrecision::HIGH:
      return "high";
    case at::Float32MatmulPrecision::MEDIUM:
      return "medium";
    case at::Float32MatmulPrecision::HIGHEST:
    default:
      return "highest";
  }
}
}  // namespace

Float32MathGuard::Float32MathGuard()
    : previous_(static_cast<int>(at::globalContext().float32MatmulPrecision())) {
  at::globalContext().setFloat32MatmulPrecision("highest");
}

Float32MathGuard::~Float32MathGuard() {
  at::globalContext().setFloat32MatmulPrecision(
      matmul_precision_name(static_cast<at::Float32MatmulPrecision>(previous_)));
}

}  // namespace setok::compat
