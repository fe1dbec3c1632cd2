#include "setok/infer/setokim_answer.h"

#include <ATen/ATen.h>

#include "setok/mllm/sequence.h"
#include "setok/runtime/error.h"

namespace setok::infer {

namespace {

// Every request's images through SeTok at once: tokens [N, L_max, D] (float32) and counts.
std::pair<at::Tensor, std::vector<int64_t>> tokenize_images(
    mllm::SetokimImpl& setokim, const std::vector<AnswerRequest>& requests,
    const at::Device& device) {
  std::vector<at::Tensor> pixels;
  for (const auto& r : requests)
    for (const auto& img : r.images) pixels.push_back(img);
  const int64_t D = setokim.setok->token_dim();
  if (pixels.empty())
    return {at::zeros({1, 1, D}, at::TensorOptions(at::kFloat).device(device)), {}};
  setokim.setok->eval();
  const tokenizer::SetokTokens t = setokim.setok->forward(at::stack(pixels).to(device));
  const at::Tensor c = t.clusters.counts.to(at::kCPU);
  return {t.tokens.to(at::kFloat),
          std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel())};
}

}  // namespace

PromptBatch build_prompts(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                          const std::vector<AnswerRequest>& requests, llm::ChatTemplate chat) {
  if (requests.empty()) throw Error("answer: no requests");
  at::NoGradGuard no_grad;
  const at::Device device = setokim.model->special_embed.device();
  const auto [tokens, counts] = tokenize_images(setokim, requests, device);
  const mllm::SpecialIds ids{text.im_start_id(), text.im_end_id(), text.target_id(), text.pad_id()};
  PromptBatch out;
  std::vector<mllm::Sequence> rows;
  std::vector<int64_t> first_image;
  size_t next_image = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    const auto& req = requests[r];
    const std::vector<int64_t> image_tokens(
        counts.begin() + static_cast<std::ptrdiff_t>(next_image),
        counts.begin() + static_cast<std::ptrdiff_t>(next_image + req.images.size()));
    first_image.push_back(static_cast<int64_t>(next_image));
    next_image += req.images.size();
    llm::TokenizedConversation tc;
    tc.input_ids = text.encode(llm::render_conversation(chat, req.turns, true).text);
    tc.labels.assign(tc.input_ids.size(), llm::kIgnoreIndex);
    try {
      rows.push_back(mllm::expand_images(tc, image_tokens, ids));
    } catch (const Error& e) {
      throw Error("request " + std::to_string(r) + ": " + e.what());
    }
    out.image_tokens.push_back(image_tokens);
    out.lengths.push_back(rows.back().size());
  }
  // Left padding: every prompt ends at column L - 1.
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t L = *std::max_element(out.lengths.begin(), out.lengths.end());
  at::Tensor input = at::full({B, L}, text.pad_id(), at::kLong);
  at::Tensor image = at::full({B, L}, -1, at::kLong), slot = at::full({B, L}, -1, at::kLong);
  at::Tensor mask = at::zeros({B, L}, at::kLong);
  for (int64_t b = 0; b < B; ++b) {
    const mllm::Sequence& s = rows[static_cast<size_t>(b)];
    const int64_t offset = L - s.size();
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
  out.embeds = setokim.model->embed(batch, tokens, {});  // [B, L, H]
  out.attention_mask = batch.attention_mask;
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
