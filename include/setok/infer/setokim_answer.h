#pragma once
// Setokim answering: images + a conversation -> text (VQA, captioning, chat over images), a
// batch at a time (docs/inference.md). Each request's images become SeTok tokens (their counts
// differ per image), its conversation a sequence with the projected tokens spliced in at the
// <image> markers; the rows are left-padded to one batch, so every prompt ends at the same
// column, prefilled once and decoded with the KV cache over the LLM's vocabulary and Setokim's
// three special tokens. A batch gives what each request gives alone (tested).
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/llm/chat_template.h"
#include "setok/llm/generation.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/mllm/image_batch.h"
#include "setok/mllm/sequence.h"
#include "setok/mllm/setokim.h"

namespace setok::infer {

struct AnswerRequest {
  // Preprocessed pixels [3, S, S] (vision::preprocess_image), one per "<image>" marker in
  // order of appearance.
  std::vector<at::Tensor> images;
  // Alternating human / assistant turns ending with a human turn (the question).
  std::vector<llm::Message> turns;
};

struct AnswerOptions {
  llm::ChatTemplate chat_template = llm::ChatTemplate::kVicunaV1;
  llm::GenerationOptions generation;
};

struct Answer {
  std::string text;
  std::vector<int64_t> tokens;        // the new tokens (EOS excluded)
  std::string finish;                 // eos | stop | length
  std::vector<int64_t> image_tokens;  // SeTok tokens per image
  int64_t prompt_length = 0;          // positions the LLM saw before answering
};

// The prompt embeddings of a batch, left-padded: what answer() feeds the LLM.
struct PromptBatch {
  at::Tensor embeds;                               // [B, L, H]
  at::Tensor attention_mask;                       // [B, L] int64, 1 = real
  std::vector<std::vector<int64_t>> image_tokens;  // per request, per image
  std::vector<int64_t> lengths;                    // real positions per row
};

// One request's prompt: the conversation rendered with the generation prompt, tokenized, its
// <image> markers expanded to `image_tokens` slots (mllm::expand_images).
mllm::Sequence prompt_sequence(const llm::TextTokenizer& text, llm::ChatTemplate chat,
                               const std::vector<llm::Message>& turns,
                               const std::vector<int64_t>& image_tokens);

// Left-pads `rows` into one batch (every row ends at the last column; mllm::collate_sequences)
// and embeds it; row b's image indices address `images.tokens` from first_image[b].
PromptBatch embed_left_padded(mllm::SetokimImpl& setokim, const mllm::ImageBatch& images,
                              const std::vector<mllm::Sequence>& rows,
                              const std::vector<int64_t>& first_image, int64_t pad_id);

// Runs SeTok over the requests' images and builds the left-padded prompt batch on `setokim`'s
// device. Throws setok::Error naming the request when its markers and images disagree.
PromptBatch build_prompts(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                          const std::vector<AnswerRequest>& requests, llm::ChatTemplate chat);

std::vector<Answer> answer(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                           const std::vector<AnswerRequest>& requests,
                           const AnswerOptions& options);

}  // namespace setok::infer
