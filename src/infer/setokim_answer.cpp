#include "setok/infer/setokim_answer.h"

#include <ATen/ATen.h>

#include "setok/mllm/sequence.h"
#include "setok/runtime/error.h"

namespace setok::infer {

mllm::Sequence prompt_sequence(const llm::TextTokenizer& text, llm::ChatTemplate chat,
                               const std::vector<llm::Message>& turns,
                               const std::vector<int64_t>& image_tokens) {
  llm::TokenizedConversation tc;
  tc.input_ids = text.encode(llm::render_conversation(chat, turns, true).text);
  tc.labels.assign(tc.input_ids.size(), llm::kIgnoreIndex);
  const mllm::SpecialIds ids{text.im_start_id(), text.im_end_id(), text.target_id(), text.pad_id()};
  // A prompt holds no output image (a <target> in it is an error), so the span design does not
  // change it.
  return mllm::expand_images(tc, image_tokens, ids, mllm::ImageSpan::kAr);
}

PromptBatch embed_left_padded(mllm::SetokimImpl& setokim, const mllm::ImageBatch& images,
                              const std::vector<mllm::Sequence>& rows,
                              const std::vector<int64_t>& first_image, int64_t pad_id) {
  at::NoGradGuard no_grad;
  const at::Device device = setokim.model->special_embed.device();
  PromptBatch out;
  for (const auto& r : rows) out.lengths.push_back(r.size());
  const mllm::SequenceBatch b =
      mllm::collate_sequences(rows, first_image, pad_id, mllm::Padding::kLeft);
  mllm::SequenceBatch batch;
  batch.input_ids = b.input_ids.to(device);
  batch.image = b.image.to(device);
  batch.slot = b.slot.to(device);
  batch.output = b.output.to(device);
  batch.attention_mask = b.attention_mask.to(device);
  out.embeds = setokim.model->embed(batch, images.tokens, {});  // [B, L, H]
  out.attention_mask = batch.attention_mask;
  return out;
}

PromptBatch build_prompts(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                          const std::vector<AnswerRequest>& requests, llm::ChatTemplate chat) {
  if (requests.empty()) throw Error("answer: no requests");
  std::vector<std::vector<at::Tensor>> images;
  for (const auto& r : requests) images.push_back(r.images);
  const mllm::ImageBatch batch = mllm::tokenize_images(setokim, images);
  std::vector<mllm::Sequence> rows;
  std::vector<std::vector<int64_t>> counts;
  for (size_t r = 0; r < requests.size(); ++r) {
    counts.push_back(batch.of(r));
    try {
      rows.push_back(prompt_sequence(text, chat, requests[r].turns, counts.back()));
    } catch (const Error& e) {
      throw Error("request " + std::to_string(r) + ": " + e.what());
    }
  }
  PromptBatch out = embed_left_padded(setokim, batch, rows, batch.first, text.pad_id());
  out.image_tokens = std::move(counts);
  return out;
}

std::vector<Answer> answer(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                           const std::vector<AnswerRequest>& requests,
                           const AnswerOptions& options) {
  at::NoGradGuard no_grad;
  setokim.eval();
  const PromptBatch prompts = build_prompts(setokim, text, requests, options.chat_template);
  mllm::SetokimModel model = setokim.model;
  const llm::DecodingModel decoder{
      model->llm, [model](const at::Tensor& ids) mutable { return model->embed_ids(ids); },
      [model](const at::Tensor& hidden) mutable { return model->logits(hidden); }};
  const llm::GenerationResult g = llm::generate_from_embeds(
      decoder, prompts.embeds, prompts.attention_mask, options.generation, &text);
  std::vector<Answer> out(requests.size());
  for (size_t r = 0; r < requests.size(); ++r) {
    out[r].text = g.texts[r];
    out[r].tokens = g.tokens[r];
    out[r].finish = g.finish[r];
    out[r].image_tokens = prompts.image_tokens[r];
    out[r].prompt_length = prompts.lengths[r];
  }
  return out;
}

}  // namespace setok::infer
