#include "setok/nn/sdpa.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"

namespace setok::nn {

namespace {

void check_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                  const SdpaOptions& o) {
  if (!q.defined() || !k.defined() || !v.defined()) throw Error("attention: undefined q, k or v");
  if (q.dim() < 2 || q.dim() != k.dim() || q.dim() != v.dim()) {
    throw Error("attention: q, k, v must have the same rank >= 2, got " + c10::str(q.sizes()) +
                ", " + c10::str(k.sizes()) + ", " + c10::str(v.sizes()));
  }
  if (q.size(-1) != k.size(-1)) {
    throw Error("attention: q and k head sizes differ: " + c10::str(q.sizes()) + " vs " +
                c10::str(k.sizes()));
  }
  if (k.size(-2) != v.size(-2)) {
    throw Error("attention: k and v lengths differ: " + c10::str(k.sizes()) + " vs " +
                c10::str(v.sizes()));
  }
  if (o.dropout_p < 0.0 || o.dropout_p >= 1.0) {
    throw Error("attention: dropout_p must be in [0, 1), got " + std::to_string(o.dropout_p));
  }
  if (o.mask.defined() && o.mask.scalar_type() != at::kBool &&
      !at::isFloatingType(o.mask.scalar_type())) {
    throw Error("attention: mask must be bool or floating point, got " +
                std::string(c10::toString(o.mask.scalar_type())));
  }
}

// [Lq, Lk] bool, true where query i may see key j (j <= i).
at::Tensor causal_mask(int64_t lq, int64_t lk, const at::Device& device) {
  return at::ones({lq, lk}, at::TensorOptions().dtype(at::kBool).device(device)).tril();
}

// The mask and causal flag folded into one additive float mask (undefined when neither).
at::Tensor combined_additive_mask(const at::Tensor& q, const at::Tensor& k, const SdpaOptions& o,
                                  at::ScalarType dtype) {
  at::Tensor add;
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (o.mask.defined()) {
    add = o.mask.scalar_type() == at::kBool ? at::zeros(o.mask.sizes(), q.options().dtype(dtype))
                                                  .masked_fill(o.mask.logical_not(), neg_inf)
                                            : o.mask.to(dtype);
  }
  if (o.causal) {
    auto c =
        at::zeros({q.size(-2), k.size(-2)}, q.options().dtype(dtype))
            .masked_fill(causal_mask(q.size(-2), k.size(-2), q.device()).logical_not(), neg_inf);
    add = add.defined() ? add + c : c;
  }
  return add;
}

// [..., Lq, 1] bool: rows whose every key is blocked (undefined when none can be).
at::Tensor fully_masked_rows(const at::Tensor& q, const at::Tensor& k, const SdpaOptions& o) {
  if (!o.mask.defined()) {
    // Causal alone never blocks a whole row when Lk >= 1 (key 0 is always visible).
    return {};
  }
  if (o.mask.scalar_type() == at::kBool) {
    at::Tensor visible = o.mask;
    if (o.causal) visible = visible & causal_mask(q.size(-2), k.size(-2), q.device());
    return visible.any(-1, /*keepdim=*/true).logical_not();
  }
  return combined_additive_mask(q, k, o, at::kFloat).amax(-1, /*keepdim=*/true) ==
         -std::numeric_limits<float>::infinity();
}

}  // namespace

at::Tensor sdpa_math(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const SdpaOptions& options) {
  check_inputs(q, k, v, options);
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  // Softmax in float32 for 16-bit inputs: the scores of long rows lose too much otherwise.
  const bool low_precision = q.scalar_type() == at::kHalf || q.scalar_type() == at::kBFloat16;
  const at::ScalarType compute = low_precision ? at::kFloat : q.scalar_type();
  at::Tensor scores =
      at::matmul(q.to(compute), k.to(compute).transpose(-2, -1)).mul_(scale);  // [..., Lq, Lk]
  const double neg_inf = -std::numeric_limits<double>::infinity();
  // `scores` is a fresh tensor (matmul output, not needed by its backward): mask in place.
  if (options.mask.defined()) {
    if (options.mask.scalar_type() == at::kBool) {
      scores.masked_fill_(options.mask.logical_not(), neg_inf);
    } else {
      scores.add_(options.mask.to(compute));
    }
  }
  if (options.causal) {
    scores.masked_fill_(causal_mask(q.size(-2), k.size(-2), q.device()).logical_not(), neg_inf);
  }
  at::Tensor probs = at::softmax(scores, -1);
  // Rows with no visible key: softmax of all -inf is NaN; define them as attending to nothing.
  // (Out of place: softmax's backward needs its output.)
  if (at::Tensor blocked = fully_masked_rows(q, k, options);
      blocked.defined() && blocked.any().item<bool>()) {
    probs = probs.masked_fill(blocked, 0.0);
  }
  if (options.dropout_p > 0.0) probs = at::dropout(probs, options.dropout_p, /*train=*/true);
  return at::matmul(probs, v.to(compute)).to(v.scalar_type());  // [..., Lq, Ev]
}

at::Tensor scaled_dot_product_attention(const at::Tensor& q, const at::Tensor& k,
                                        const at::Tensor& v, const SdpaOptions& options) {
  if (!compat::has_fused_sdpa()) return sdpa_math(q, k, v, options);
  check_inputs(q, k, v, options);
  at::Tensor mask;
  bool causal = options.causal;
  if (options.mask.defined()) {
    // ATen refuses an explicit mask together with is_causal: fold causality into the mask.
    if (causal) {
      mask = combined_additive_mask(q, k, options, q.scalar_type());
      causal = false;
    } else {
      mask =
          options.mask.scalar_type() == at::kBool ? options.mask : options.mask.to(q.scalar_type());
    }
  }
  at::Tensor out = compat::fused_sdpa(q, k, v, mask, options.dropout_p, causal, options.scale);
  if (at::Tensor blocked = fully_masked_rows(q, k, options); blocked.defined()) {
    out = out.masked_fill(blocked, 0.0);
  }
  return out;
}

}  // namespace setok::nn
