#pragma once
// `setok_bench llm`: training-step and decoding throughput of a LLaMA model.
//   forward + backward: tokens/s of loss.backward() over [batch, seq] random tokens;
//   decode: tokens/s of KV-cache greedy decoding of `new_tokens` per row after a `prompt`-long
//   prefill (prefill time reported apart).
#include <string>

#include <c10/core/Device.h>

#include "setok/io/json.h"
#include "setok/llm/llama_model.h"

namespace setok::infer {

struct LlmBenchOptions {
  int64_t batch = 4;
  int64_t seq = 128;
  int64_t prompt = 32;
  int64_t new_tokens = 32;
  int64_t iters = 3;
  int64_t warmup = 1;
};

struct LlmBenchResult {
  std::string device;
  std::string dtype;
  LlmBenchOptions options;
  int64_t parameters = 0;
  double train_step_ms = 0;  // forward + backward (median)
  double train_tokens_per_s = 0;
  double prefill_ms = 0;
  double decode_ms = 0;  // new_tokens steps (median)
  double decode_tokens_per_s = 0;
  io::Json to_json() const;
  std::string to_text() const;
};

LlmBenchResult bench_llm(llm::LlamaForCausalLM& model, const c10::Device& device,
                         const LlmBenchOptions& options);

}  // namespace setok::infer
