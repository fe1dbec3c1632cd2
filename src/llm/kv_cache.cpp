#include "setok/llm/kv_cache.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::llm {

KvCache::KvCache(int64_t layers, int64_t capacity)
    : keys_(static_cast<size_t>(layers)),
      values_(static_cast<size_t>(layers)),
      capacity_hint_(capacity) {
  if (layers <= 0) throw Error("KvCache: needs at least one layer");
}

int64_t KvCache::batch() const {
  return keys_[0].defined() ? keys_[0].size(0) : 0;
}

void KvCache::grow(int64_t layer, int64_t needed) {
  at::Tensor& k = keys_[static_cast<size_t>(layer)];
  at::Tensor& v = values_[static_cast<size_t>(layer)];
  const int64_t have = k.size(2);
  if (needed <= have) return;
  const int64_t capacity = std::max(needed, 2 * have);
  auto bigger = [&](const at::Tensor& old) {
    at::Tensor t = at::empty({old.size(0), old.size(1), capacity, old.size(3)}, old.options());
    t.narrow(2, 0, length_).copy_(old.narrow(2, 0, length_));
    return t;
  };
  k = bigger(k);
  v = bigger(v);
}

std::pair<at::Tensor, at::Tensor> KvCache::append(int64_t layer, const at::Tensor& k,
                                                  const at::Tensor& v) {
  if (layer < 0 || layer >= layers()) throw Error("KvCache: layer out of range");
  if (k.dim() != 4 || !k.sizes().equals(v.sizes())) {
    throw Error("KvCache: keys and values must both be [B, Hkv, T, E], got " + c10::str(k.sizes()) +
                " and " + c10::str(v.sizes()));
  }
  const int64_t T = k.size(2);
  at::Tensor& K = keys_[static_cast<size_t>(layer)];
  at::Tensor& V = values_[static_cast<size_t>(layer)];
  if (!K.defined()) {
    const int64_t capacity = std::max(capacity_hint_, length_ + T);
    K = at::empty({k.size(0), k.size(1), capacity, k.size(3)}, k.options());
    V = at::empty_like(K);
  } else if (K.size(0) != k.size(0) || K.size(1) != k.size(1) || K.size(3) != k.size(3)) {
    throw Error("KvCache: layer " + std::to_string(layer) + " holds [B, Hkv, *, E] = " +
                c10::str(K.sizes()) + ", cannot append " + c10::str(k.sizes()));
  }
  grow(layer, length_ + T);
  at::NoGradGuard no_grad;
  K.narrow(2, length_, T).copy_(k);
  V.narrow(2, length_, T).copy_(v);
  return {K.narrow(2, 0, length_ + T), V.narrow(2, 0, length_ + T)};
}

void KvCache::advance(int64_t tokens) {
  length_ += tokens;
}

void KvCache::truncate(int64_t length) {
  if (length < 0 || length > length_) {
    throw Error("KvCache: cannot truncate to " + std::to_string(length) + " (length " +
                std::to_string(length_) + ")");
  }
  length_ = length;
}

}  // namespace setok::llm
