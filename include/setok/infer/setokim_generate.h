#pragma once
// Setokim image generation and editing (docs/inference.md, DESIGN §5.10): the LLM writes text
// until it writes <im_start>; mllm::sample_image_tokens then decides the count and draws the
// slots under the run's image span (mar: the count at <im_start>, then MAR steps over a
// bidirectional span; ar: one cached step a slot); the detokenizer renders the tokens as pixels.
// Editing is the same path with the source image in the prompt.
//
// Rows are batched throughout: the prompts are left-padded for the text phase, then re-padded
// with what each row wrote (so every image span starts at the same column); each row keeps its
// own token count, order and generator. With guidance (mar.cfg != 1) each row gets a partner on
// the unconditional prompt (`unconditional_turns`: the caption or the edit instruction dropped,
// as training's cfg_dropout does) that writes the same text and sees the same slots.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/diffusion/mar_sampler.h"
#include "setok/llm/chat_template.h"
#include "setok/llm/sampling.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/mllm/setokim.h"

namespace setok::infer {

struct ImageRequest {
  // Preprocessed pixels [3, S, S] for the "<image>" markers (editing: the source image).
  std::vector<at::Tensor> images;
  // Ending with the human turn: generation {human: prompt}; editing {human: "<image>\n" + what
  // to change}.
  std::vector<llm::Message> turns;
  // The same without its condition, for guidance (generation {human: ""}; editing {human:
  // "<image>\n"}). Unused when mar.cfg is 1.
  std::vector<llm::Message> unconditional_turns;
  uint64_t seed = 0;  // this request's draws (text, order, diffusion noise, decoder)
};

struct ImageGenerationOptions {
  llm::ChatTemplate chat_template = llm::ChatTemplate::kVicunaV1;
  int64_t max_text_tokens = 8;         // what the model may write before <im_start>
  llm::SamplingOptions text_sampling;  // for that text (greedy by default)
  int64_t max_tokens = 64;             // image tokens at most
  int64_t num_tokens = 0;              // > 0: exactly this many image tokens
  diffusion::MarSamplerOptions mar;    // num_iter, cfg, cfg_schedule, temperature
};

struct GeneratedImage {
  std::string error;  // non-empty: no image (e.g. the model wrote no <im_start>)
  std::string text;   // what the model wrote before the image
  at::Tensor tokens;  // [N, D] the image's SeTok tokens
  at::Tensor pixels;  // [3, H, W] in [-1, 1]
  int64_t num_tokens() const { return tokens.defined() ? tokens.size(0) : 0; }
};

std::vector<GeneratedImage> generate_images(mllm::SetokimImpl& setokim,
                                            const llm::TextTokenizer& text,
                                            const std::vector<ImageRequest>& requests,
                                            const ImageGenerationOptions& options);

}  // namespace setok::infer
