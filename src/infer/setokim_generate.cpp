#include "setok/infer/setokim_generate.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "setok/infer/setokim_answer.h"
#include "setok/llm/generation.h"
#include "setok/mllm/image_sampler.h"
#include "setok/runtime/error.h"

namespace setok::infer {

namespace {

at::Generator generator_for(uint64_t seed, uint64_t stream) {
  return at::make_generator<at::CPUGeneratorImpl>(seed * 0x9E3779B97F4A7C15ULL + stream);
}

// The rows of the image phase: every request that wrote <im_start> (and, with guidance, its
// unconditional partner), re-padded so every image span starts at the same column.
struct ImageRows {
  std::vector<size_t> request;  // per conditional row
  PromptBatch prefix;           // [R, P, H]; rows [0, V) conditional, [V, 2V) unconditional
  int64_t conditional = 0;      // V
};

ImageRows image_rows(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                     const std::vector<ImageRequest>& requests, const ImageGenerationOptions& o,
                     const mllm::ImageBatch& images, const std::vector<mllm::Sequence>& prompts,
                     std::vector<GeneratedImage>& out) {
  // Text until <im_start> (batched, left-padded).
  std::vector<std::vector<int64_t>> written(requests.size());
  if (o.max_text_tokens > 0) {
    const PromptBatch p = embed_left_padded(setokim, images, prompts, images.first, text.pad_id());
    llm::GenerationOptions g;
    g.max_new_tokens = o.max_text_tokens + 1;
    g.sampling = o.text_sampling;
    g.stop_token_ids = {text.im_start_id()};
    g.seed = requests.front().seed;
    mllm::SetokimModel model = setokim.model;
    const llm::DecodingModel decoder{
        model->llm, [model](const at::Tensor& ids) mutable { return model->embed_ids(ids); },
        [model](const at::Tensor& h) mutable { return model->logits(h); }};
    const llm::GenerationResult r =
        llm::generate_from_embeds(decoder, p.embeds, p.attention_mask, g, &text);
    for (size_t i = 0; i < requests.size(); ++i) {
      written[i] = r.tokens[i];
      out[i].text = r.texts[i];
      if (written[i].empty() || written[i].back() != text.im_start_id())
        out[i].error = "the model wrote no <im_start> within " + std::to_string(o.max_text_tokens) +
                       " tokens (wrote \"" + r.texts[i] + "\")";
    }
  } else {
    for (auto& w : written) w = {text.im_start_id()};  // the image starts at once
  }
  ImageRows rows;
  std::vector<mllm::Sequence> seqs;
  std::vector<int64_t> first;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!out[i].error.empty()) continue;
    rows.request.push_back(i);
    seqs.push_back(prompts[i]);
    mllm::append_text(seqs.back(), written[i]);
    first.push_back(images.first[i]);
  }
  rows.conditional = static_cast<int64_t>(rows.request.size());
  if (o.mar.cfg != 1.0) {
    for (const size_t i : rows.request) {
      mllm::Sequence s =
          prompt_sequence(text, o.chat_template, requests[i].unconditional_turns, images.of(i));
      mllm::append_text(s, written[i]);
      seqs.push_back(std::move(s));
      first.push_back(images.first[i]);
    }
  }
  if (!seqs.empty()) rows.prefix = embed_left_padded(setokim, images, seqs, first, text.pad_id());
  return rows;
}

}  // namespace

std::vector<GeneratedImage> generate_images(mllm::SetokimImpl& setokim,
                                            const llm::TextTokenizer& text,
                                            const std::vector<ImageRequest>& requests,
                                            const ImageGenerationOptions& o) {
  if (requests.empty()) throw Error("generate: no requests");
  if (o.max_tokens < 1 || o.num_tokens < 0 || o.max_text_tokens < 0)
    throw Error("generate: max_tokens must be >= 1, num_tokens and max_text_tokens >= 0");
  at::NoGradGuard no_grad;
  setokim.eval();
  mllm::SetokimModel model = setokim.model;
  std::vector<std::vector<at::Tensor>> pixels;
  for (const auto& r : requests) pixels.push_back(r.images);
  const mllm::ImageBatch images = mllm::tokenize_images(setokim, pixels);
  std::vector<mllm::Sequence> prompts;
  for (size_t i = 0; i < requests.size(); ++i) {
    try {
      prompts.push_back(prompt_sequence(text, o.chat_template, requests[i].turns, images.of(i)));
    } catch (const Error& e) {
      throw Error("request " + std::to_string(i) + ": " + e.what());
    }
  }
  std::vector<GeneratedImage> out(requests.size());
  const ImageRows rows = image_rows(setokim, text, requests, o, images, prompts, out);
  const int64_t V = rows.conditional;
  if (V == 0) return out;
  mllm::ImageSamplingOptions sampling;
  sampling.max_tokens = o.max_tokens;
  sampling.num_tokens = o.num_tokens;
  sampling.mar = o.mar;
  std::vector<at::Generator> generators;
  for (int64_t v = 0; v < V; ++v)
    generators.push_back(generator_for(requests[rows.request[static_cast<size_t>(v)]].seed, 1));
  const mllm::SampledImages sampled = mllm::sample_image_tokens(
      *model, {rows.prefix.embeds, rows.prefix.attention_mask, V}, sampling, generators);
  setokim.detokenizer->eval();
  for (int64_t v = 0; v < V; ++v) {
    GeneratedImage& g = out[rows.request[static_cast<size_t>(v)]];
    const int64_t n = sampled.counts[static_cast<size_t>(v)];
    const at::Tensor tokens = sampled.tokens[v].narrow(0, 0, n);  // [n, D]
    g.tokens = tokens.to(at::kCPU);
    g.pixels =
        setokim.detokenizer
            ->decode(tokens.unsqueeze(0),
                     at::ones({1, n}, at::TensorOptions(at::kBool).device(tokens.device())),
                     generator_for(requests[rows.request[static_cast<size_t>(v)]].seed, 2))[0]
            .to(at::kCPU);
  }
  return out;
}

}  // namespace setok::infer
