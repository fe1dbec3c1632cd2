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
  // Ids that end a row after it writes them (kept in its tokens; finish "stop"), e.g. Setokim's
  // <im_start>, where the image begins.
  std::vector<int64_t> stop_token_ids;
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

// The model as the decoding loop sees it. Setokim widens the vocabulary with rows of its own, so
// it supplies both ends: `embed` ids [B, 1] -> [B, 1, D] and `logits` final hidden [B, 1, D] ->
// [B, 1, V'] float32 (empty: the LLM's own).
struct DecodingModel {
  LlamaForCausalLM llm;
  std::function<at::Tensor(const at::Tensor&)> embed;
  std::function<at::Tensor(const at::Tensor&)> logits;
};

// The same loop from prompt embeddings (images spliced in): `embeds` [B, L, D] left-padded, so
// every row's prompt ends at column L - 1, and `attention_mask` [B, L] (1 = real).
GenerationResult generate_from_embeds(const DecodingModel& model, const at::Tensor& embeds,
                                      const at::Tensor& attention_mask,
                                      const GenerationOptions& options,
                                      const TextTokenizer* tokenizer = nullptr,
                                      const TokenCallback& on_token = {});

// Where the earliest stop string starts in `text`, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stop);

}  // namespace setok::llm
