#pragma once
// Choosing the next token from logits: greedy (temperature 0), or sampling with temperature,
// top-k and top-p (nucleus) filtering, from a seeded generator.
#include <optional>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace setok::llm {

struct SamplingOptions {
  double temperature = 0.0;  // <= 0: greedy
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // 1: off
  bool greedy() const { return temperature <= 0.0; }
  // Throws setok::Error for negative top_k or top_p outside (0, 1].
  void check() const;
};

// logits [B, V] -> logits with temperature applied and filtered tokens at -inf (the most
// likely token always survives).
at::Tensor filter_logits(const at::Tensor& logits, const SamplingOptions& options);

// logits [B, V] -> next token ids [B] (int64, on the logits' device). Sampling draws on the CPU
// from `generator` (a CPU generator; default: torch's global one).
at::Tensor sample_next(const at::Tensor& logits, const SamplingOptions& options,
                       std::optional<at::Generator> generator = std::nullopt);

}  // namespace setok::llm
