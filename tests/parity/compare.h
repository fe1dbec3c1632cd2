#pragma once
// Tensor comparisons for parity checkers: they throw parity::Failure with a message that says
// which tensor, where, and by how much.
#include <string>

#include <ATen/core/Tensor.h>

namespace setok::parity {

// |got - want| <= atol + rtol * |want| everywhere (after converting both to float64); shapes
// must match exactly; NaN anywhere in `got` fails.
void expect_close(const std::string& name, const at::Tensor& got, const at::Tensor& want,
                  double rtol, double atol);

// Exact equality of shape and values (integer outputs: cluster ids, tokens).
void expect_equal(const std::string& name, const at::Tensor& got, const at::Tensor& want);

}  // namespace setok::parity
