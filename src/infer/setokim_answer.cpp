#include "setok/infer/setokim_answer.h"

#include <ATen/ATen.h>

#include "setok/mllm/sequence.h"
#include "setok/runtime/error.h"

namespace setok::infer {

std::vector<int64_t> BatchImages::of(size_t request, size_t images) const {
  const auto begin = counts.begin() + first.at(request);
  return std::vector<int64_t>(begin, begin + static_cast<std::ptrdiff_t>(images));
}

BatchImages tokenize_batch_images(mllm::SetokimImpl& setokim,
                                  const std::vector<std::vector<at::Tensor>>& images) {
  at::NoGradGuard no_grad;
  const at::Device device = setokim.model->special_embed.device();
  BatchImages out;
  std::vector<at::Tensor> pixels;
  for (const auto& list : images) {
    out.first.push_back(static_cast<int64_t>(pixels.size()));
    for (const auto& img : list) pixels.push_back(img);
  }
  const int64_t D = setokim.setok->token_dim();
  if (pixels.empty()) {
    out.tokens = at::zeros({1, 1, D}, at::TensorOptions(at::kFloat).device(device));
    return out;
  }
  setokim.setok->eval();
  const tokenizer::SetokTokens t = setokim.setok->forward(at::stack(pixels).to(device));
  const at::Tensor c = t.clusters.counts.to(at::kCPU);
  out.tokens = t.tokens.to(at::kFloat);  // [N, L_max, D]
  out.counts.assign(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  return out;
}

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

PromptBatch embed_left_padded(mllm::SetokimImpl& setokim, const at::Tensor& image_tokens,
                              const std::vector<mllm::Sequence>& rows,
                              const std::vector<int64_t>& first_image, int64_t pad_id) {
  at::NoGradGuard no_grad;
  const at::Device device = setokim.model->special_embed.device();
  PromptBatch out;
  for (const auto& r : rows) out.lengths.push_back(r.size());
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t L = *std::max_element(out.lengths.begin(), out.lengths.end());
  at::Tensor input = at::full({B, L}, pad_id, at::kLong);
  at::Tensor image = at::full({B, L}, -1, at::kLong), slot = at::full({B, L}, -1, at::kLong);
  at::Tensor mask = at::zeros({B, L}, at::kLong);
  for (int64_t b = 0; b < B; ++b) {
    const mllm::Sequence& s = rows[static_cast<size_t>(b)];
    const int64_t offset = L - s.size();  // left padding: every row ends at column L - 1
    for (int64_t t = 0; t < s.size(); ++t) {
      const auto i = static_cast<size_t>(t);
      input[b][offset + t] = s.input_ids[i];
      mask[b][offset + t] = 1;
      if (s.image[i] >= 0) {
        image[b][offset + t] = s.image[i] + first_image[static_cast<size_t>(b)];
        slot[b][offset + t] = s.slot[i];
      }
    }
  }
  mllm::SequenceBatch batch;
  batch.input_ids = input.to(device);
  batch.image = image.to(device);
  batch.slot = slot.to(device);
  batch.output = at::zeros({B, L}, at::TensorOptions(at::kBool).device(device));
  batch.attention_mask = mask.to(device);
  out.embeds = setokim.model->embed(batch, image_tokens, {});  // [B, L, H]
  out.attention_mask = batch.attention_mask;
  return out;
}

PromptBatch build_prompts(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                          const std::vector<AnswerRequest>& requests, llm::ChatTemplate chat) {
  if (requests.empty()) throw Error("answer: no requests");
  std::vector<std::vector<at::Tensor>> images;
  for (const auto& r : requests) images.push_back(r.images);
  const BatchImages batch = tokenize_batch_images(setokim, images);
  std::vector<mllm::Sequence> rows;
  std::vector<std::vector<int64_t>> counts;
  for (size_t r = 0; r < requests.size(); ++r) {
    counts.push_back(batch.of(r, requests[r].images.size()));
    try {
      rows.push_back(prompt_sequence(text, chat, requests[r].turns, counts.back()));
    } catch (const Error& e) {
      throw Error("request " + std::to_string(r) + ": " + e.what());
    }
  }
  PromptBatch out = embed_left_padded(setokim, batch.tokens, rows, batch.first, text.pad_id());
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
