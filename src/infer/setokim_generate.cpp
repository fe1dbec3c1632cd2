#include "setok/infer/setokim_generate.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "setok/infer/setokim_answer.h"
#include "setok/llm/generation.h"
#include "setok/llm/kv_cache.h"
#include "setok/runtime/error.h"

namespace setok::infer {

namespace {

at::Generator generator_for(uint64_t seed, uint64_t stream) {
  return at::make_generator<at::CPUGeneratorImpl>(seed * 0x9E3779B97F4A7C15ULL + stream);
}

// A sequence's plain positions (text written by the model).
void append_text(mllm::Sequence& s, const std::vector<int64_t>& ids) {
  for (const int64_t id : ids) {
    s.input_ids.push_back(id);
    s.labels.push_back(llm::kIgnoreIndex);
    s.image.push_back(-1);
    s.slot.push_back(-1);
    s.output.push_back(false);
  }
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
                     const BatchImages& images, const std::vector<mllm::Sequence>& prompts,
                     std::vector<GeneratedImage>& out) {
  // Text until <im_start> (batched, left-padded).
  std::vector<std::vector<int64_t>> written(requests.size());
  if (o.max_text_tokens > 0) {
    const PromptBatch p =
        embed_left_padded(setokim, images.tokens, prompts, images.first, text.pad_id());
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
    append_text(seqs.back(), written[i]);
    first.push_back(images.first[i]);
  }
  rows.conditional = static_cast<int64_t>(rows.request.size());
  if (o.mar.cfg != 1.0) {
    for (const size_t i : rows.request) {
      mllm::Sequence s = prompt_sequence(text, o.chat_template, requests[i].unconditional_turns,
                                         images.of(i, requests[i].images.size()));
      append_text(s, written[i]);
      seqs.push_back(std::move(s));
      first.push_back(images.first[i]);
    }
  }
  if (!seqs.empty())
    rows.prefix = embed_left_padded(setokim, images.tokens, seqs, first, text.pad_id());
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
  llm::LlamaForCausalLM llm = model->llm;
  const at::Device device = model->special_embed.device();
  std::vector<std::vector<at::Tensor>> pixels;
  for (const auto& r : requests) pixels.push_back(r.images);
  const BatchImages images = tokenize_batch_images(setokim, pixels);
  std::vector<mllm::Sequence> prompts;
  for (size_t i = 0; i < requests.size(); ++i) {
    try {
      prompts.push_back(prompt_sequence(text, o.chat_template, requests[i].turns,
                                        images.of(i, requests[i].images.size())));
    } catch (const Error& e) {
      throw Error("request " + std::to_string(i) + ": " + e.what());
    }
  }
  std::vector<GeneratedImage> out(requests.size());
  const ImageRows rows = image_rows(setokim, text, requests, o, images, prompts, out);
  const int64_t V = rows.conditional;
  if (V == 0) return out;
  const int64_t R = rows.prefix.embeds.size(0), P = rows.prefix.embeds.size(1);
  const auto long_opts = at::TensorOptions(at::kLong).device(device);
  // The prefix, once.
  llm::KvCache cache = llm->make_cache(P + o.max_tokens + 1);
  at::Tensor attention = rows.prefix.attention_mask;  // [R, S]
  at::Tensor hidden =
      llm->forward_embeds(rows.prefix.embeds, attention, {}, &cache, llm::LogitsFor::kNone)
          .hidden;  // [R, P, H]
  // How many slots: <target> while the model prefers it to <im_end> (or up to num_tokens).
  std::vector<int64_t> counts(static_cast<size_t>(V), 0);
  std::vector<bool> done(static_cast<size_t>(V), false);
  const int64_t target = text.target_id(), im_end = text.im_end_id();
  for (int64_t k = 0;; ++k) {
    const at::Tensor logits =
        model->logits(hidden.narrow(1, hidden.size(1) - 1, 1)).select(1, 0).to(at::kCPU);
    std::vector<int64_t> feed(static_cast<size_t>(R), text.pad_id());
    bool any = false;
    for (int64_t v = 0; v < V; ++v) {
      const auto vi = static_cast<size_t>(v);
      if (done[vi]) continue;
      bool more;
      if (o.num_tokens > 0) {
        more = counts[vi] < o.num_tokens;
      } else if (counts[vi] == 0) {
        more = true;
      } else {
        more = counts[vi] < o.max_tokens &&
               logits[v][target].item<float>() >= logits[v][im_end].item<float>();
      }
      if (!more) {
        done[vi] = true;
        continue;
      }
      ++counts[vi];
      feed[vi] = target;
      if (R > V) feed[vi + static_cast<size_t>(V)] = target;
      any = true;
    }
    if (!any) break;
    const at::Tensor ids = at::tensor(feed, at::kLong).view({R, 1}).to(device);
    attention = at::cat({attention, at::ones({R, 1}, long_opts)}, 1);
    hidden = llm->forward_embeds(model->embed_ids(ids), attention, {}, &cache,
                                 llm::LogitsFor::kNone)
                 .hidden;  // [R, 1, H]
  }
  // The slots, over num_iter MAR steps; each step one LLM pass over the span for every row.
  const int64_t N = *std::max_element(counts.begin(), counts.end());
  at::Tensor span_mask = at::zeros({R, N}, at::kLong);
  for (int64_t r = 0; r < R; ++r)
    span_mask[r].narrow(0, 0, counts[static_cast<size_t>(r % V)]).fill_(1);
  span_mask = span_mask.to(device);
  const at::Tensor span_attention = at::cat({rows.prefix.attention_mask, span_mask}, 1);
  const at::Tensor target_row =
      model->embed_ids(at::full({1, 1}, target, long_opts)).view({1, 1, -1});  // [1, 1, H]
  at::Tensor unconditional_z;  // the step's unconditional half, computed with the conditional
  const auto condition = [&](const at::Tensor& tokens, const at::Tensor& mask,
                             bool unconditional) -> at::Tensor {
    if (unconditional) return unconditional_z;
    // Inputs: a revealed slot holds its projected token, a hidden one the <target> row.
    const at::Tensor projected =
        model->mm_in_projector->forward(tokens.to(device)).to(target_row.scalar_type());
    at::Tensor span = at::where(mask.to(device).unsqueeze(-1), target_row, projected);  // [V,N,H]
    if (R > V) span = at::cat({span, span}, 0);  // the partners see the same slots
    cache.truncate(P);
    const at::Tensor h =
        llm->forward_embeds(span, span_attention, {}, &cache, llm::LogitsFor::kNone).hidden;
    cache.truncate(P);
    const at::Tensor z = model->mm_out_projector->forward(h.to(at::kFloat));  // [R, N, H]
    if (R > V) unconditional_z = z.narrow(0, V, V);
    return z.narrow(0, 0, V);
  };
  std::vector<at::Generator> generators;
  for (int64_t v = 0; v < V; ++v)
    generators.push_back(generator_for(requests[rows.request[static_cast<size_t>(v)]].seed, 1));
  const at::Tensor tokens =
      diffusion::mar_sample_rows(condition, *model->diffloss, counts, o.mar, generators,
                                 at::TensorOptions(at::kFloat).device(device));  // [V, N, D]
  const at::Tensor valid = span_mask.narrow(0, 0, V).to(at::kBool);
  setokim.detokenizer->eval();
  for (int64_t v = 0; v < V; ++v) {
    GeneratedImage& g = out[rows.request[static_cast<size_t>(v)]];
    const int64_t n = counts[static_cast<size_t>(v)];
    g.tokens = tokens[v].narrow(0, 0, n).to(at::kCPU);
    g.pixels =
        setokim.detokenizer
            ->decode(tokens[v].narrow(0, 0, n).unsqueeze(0), valid[v].narrow(0, 0, n).unsqueeze(0),
                     generator_for(requests[rows.request[static_cast<size_t>(v)]].seed, 2))[0]
            .to(at::kCPU);
  }
  return out;
}

}  // namespace setok::infer
