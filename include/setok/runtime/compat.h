#pragma once
// The single place where LibTorch 1.13 (Debian, CPU) and LibTorch 2.x (CUDA) differ.
// Everything version-dependent is declared here and defined in src/runtime/compat.cpp, so no
// other file needs a version #if.
#include <torch/version.h>

#include <cstdint>
#include <optional>
#include <string>

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <ATen/core/Tensor.h>

#define SETOK_TORCH_VERSION_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||                \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace setok::compat {

// "1.13.0" etc., from the headers we were compiled against.
std::string torch_version();

// True when the build can dispatch to ATen's fused scaled_dot_product_attention (2.1+, which
// also takes an explicit scale). On older versions nn::scaled_dot_product_attention uses its
// math path.
bool has_fused_sdpa();
// ATen's fused scaled_dot_product_attention (only where has_fused_sdpa(); an error elsewhere).
// `mask`: undefined for none, else bool (true = attend) or additive in q's dtype; `scale`: none
// for 1 / sqrt(E).
at::Tensor fused_sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                      const at::Tensor& mask, double dropout_p, bool causal,
                      std::optional<double> scale);

// Autocast, per device type. 1.13 only knows CUDA ("gpu") and CPU global switches with their
// own function names; 2.4+ takes the device type as an argument.
void set_autocast_enabled(c10::DeviceType device, bool enabled);
bool is_autocast_enabled(c10::DeviceType device);
void set_autocast_dtype(c10::DeviceType device, c10::ScalarType dtype);
c10::ScalarType autocast_dtype(c10::DeviceType device);
// The autocast cast cache is thread-local; clear it whenever an autocast region ends.
void clear_autocast_cache();

// TF32 tensor-core math for float32 matmuls and convolutions on CUDA (Ampere and later):
// on = "high" float32 matmul precision plus cuDNN TF32; off = full float32. Call only for CUDA
// runs (on some versions the precision setting also reaches CPU kernels).
void set_tf32(bool on);

// Memory of the CUDA caching allocator on `device` (an index): the peak bytes allocated to
// tensors since the last reset, and the reset. A build without CUDA (SETOK_WITH_CUDA unset,
// e.g. Debian's CPU LibTorch) has no allocator statistics: the peak is -1 and reset a no-op.
int64_t cuda_peak_allocated_bytes(int device);
void reset_cuda_peak_memory(int device);

// RAII full-float32 region: TF32 matmuls off (float32 matmul precision "highest") while it
// lives, the previous setting restored on exit. For computations whose float32 result matters
// bit for bit, e.g. the distances of DPC-KNN clustering (DESIGN §5.4). A no-op on CPU runs in
// effect (CPU kernels never use TF32).
class Float32MathGuard {
 public:
  Float32MathGuard();
  ~Float32MathGuard();
  Float32MathGuard(const Float32MathGuard&) = delete;
  Float32MathGuard& operator=(const Float32MathGuard&) = delete;

 private:
  int previous_;  // the saved matmul precision
};

// RAII autocast region: enables autocast on `device` with `dtype`, restores the previous state
// and clears the cast cache on exit.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, c10::ScalarType dtype, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool prev_enabled_;
  c10::ScalarType prev_dtype_;
};

}  // namespace setok::compat
