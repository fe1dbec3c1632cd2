#pragma once
// Batched autoregressive generation with the KV cache: prompts of different lengths are
// left-padded into one batch, prefilled once, then decoded one token per step for every row
// until each row hits EOS, a stop string or max_new_tokens.
#include <functional>
#include <string>
#include <vector>

#include "setok/llm/llama_model.h"
#include "setok/llm/sampling.h"

namespace setok::llm {

class TextTokenizer;

struct GenerationOptions {
  int64_t max_new_tokens = 64;
  SamplingOptions sampling;
  std::vector<std::string> stop;  // stop strings (need a tokenizer to decode)
  bool stop_at_eos = true;
  uint64_t seed = 0;  // for sampling
};

struct GenerationResult {
  // Per row: the new tokens (EOS not included; the tokens that spelled a stop string are).
  std::vector<std::vector<int64_t>> tokens;
  // Per row, with a tokenizer: the decoded new text, cut before any stop string.
  std::vector<std::string> texts;
  std::vector<std::string> finish;  // "eos" | "stop" | "length"
};

// Called for each token a row produces, as it is produced (EOS excluded).
using TokenCallback = std::function<void(int64_t row, int64_t token)>;

// `prompts`: token ids per row (non-empty, inside the vocabulary). EOS: every id of the model
// config's eos_token_id and the tokenizer's; padding uses the tokenizer's pad id (else 0).
GenerationResult generate(LlamaForCausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                          const GenerationOptions& options,
                          const TextTokenizer* tokenizer = nullptr,
                          const TokenCallback& on_token = {});

// Where the earliest stop string starts in `text`, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stop);

}  // namespace setok::llm
