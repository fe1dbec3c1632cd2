#pragma once
// Key/value cache for incremental decoding: per layer, preallocated [B, Hkv, capacity, E]
// buffers that grow by doubling. A forward pass over T new tokens writes every layer's keys
// and values at [length, length + T) and then advances the length once. truncate() rolls back
// to a prefix (Setokim re-runs the image span over a cached prompt). Inference only: writes are
// in-place copies, not recorded by autograd.
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::llm {

class KvCache {
 public:
  // `capacity` is a hint (0 = grow as needed); buffers are allocated on the first append, with
  // the dtype and device of the keys.
  KvCache(int64_t layers, int64_t capacity = 0);

  int64_t length() const { return length_; }
  int64_t layers() const { return static_cast<int64_t>(keys_.size()); }
  int64_t batch() const;  // 0 before the first append

  // k, v [B, Hkv, T, E] for positions [length, length + T) of `layer`; returns the layer's keys
  // and values for [0, length + T) (views of the buffers).
  std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
  // Called once per forward pass, after every layer appended `tokens` positions.
  void advance(int64_t tokens);
  // Forget positions >= `length`.
  void truncate(int64_t length);
  void clear() { truncate(0); }

 private:
  void grow(int64_t layer, int64_t needed);
  std::vector<at::Tensor> keys_, values_;  // [B, Hkv, capacity, E]
  int64_t length_ = 0;
  int64_t capacity_hint_;
};

}  // namespace setok::llm
