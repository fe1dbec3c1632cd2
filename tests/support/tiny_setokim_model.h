#pragma once
// A random tiny Setokim model (LLM of 1 layer, width 16; SeTok tokens of width 8; at most 6
// slots an image) and one hand-built sample, for the mllm/ tests.
#include "setok/mllm/sequence.h"
#include "setok/mllm/setokim_model.h"

namespace setok::test {

inline constexpr int64_t kTinyVocab = 40;
inline const mllm::SpecialIds kTinySpecials{kTinyVocab, kTinyVocab + 1, kTinyVocab + 2, 0};

inline mllm::SetokimModel tiny_setokim_model(mllm::ImageSpan span = mllm::ImageSpan::kMar,
                                             bool start_condition = false) {
  at::manual_seed(0);
  mllm::SetokimModelOptions o;
  o.image_span = span;
  o.start_condition = start_condition;
  o.max_image_tokens = 6;
  o.llm.vocab_size = kTinyVocab;
  o.llm.hidden_size = 16;
  o.llm.intermediate_size = 32;
  o.llm.num_hidden_layers = 1;
  o.llm.num_attention_heads = 2;
  o.llm.num_key_value_heads = 1;
  o.llm.max_position_embeddings = 64;
  o.token_dim = 8;
  o.diffloss.width = 32;
  o.diffloss.depth = 1;
  o.diffloss.num_sampling_steps = "10";
  mllm::SetokimModel m(o);
  m->eval();
  return m;
}

// "<s> 5 <image> 6 7 <target></s>": an input image of 2 tokens and an output of `out` (positions:
// 3, 4 input image; 8 <im_start>; 9 .. 8 + out output slots).
inline mllm::Sequence tiny_setokim_sample(int64_t out = 3,
                                          mllm::ImageSpan span = mllm::ImageSpan::kMar) {
  constexpr int64_t X = llm::kIgnoreIndex;
  llm::TokenizedConversation c;
  c.input_ids = {1, 5, llm::kImageTokenId, 6, 7, kTinySpecials.target, 2};
  c.labels = {X, X, X, X, 7, kTinySpecials.target, 2};
  return mllm::expand_images(c, {2, out}, kTinySpecials, span);
}

}  // namespace setok::test
