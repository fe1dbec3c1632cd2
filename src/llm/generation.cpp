#include "setok/llm/generation.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "setok/llm/kv_cache.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::llm {

size_t find_stop(const std::string& text, const std::vector<std::string>& stop) {
  size_t best = std::string::npos;
  for (const auto& s : stop) {
    if (s.empty()) continue;
    best = std::min(best, text.find(s));
  }
  return best;
}

namespace {

void check_options(const GenerationOptions& options, const TextTokenizer* tokenizer) {
  options.sampling.check();
  if (options.max_new_tokens < 0) throw Error("generate: max_new_tokens must be >= 0");
  if (!options.stop.empty() && tokenizer == nullptr)
    throw Error("generate: stop strings need a tokenizer");
}

}  // namespace

GenerationResult generate(LlamaForCausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                          const GenerationOptions& options, const TextTokenizer* tokenizer,
                          const TokenCallback& on_token) {
  check_options(options, tokenizer);
  if (prompts.empty()) throw Error("generate: no prompts");
  const int64_t pad = tokenizer != nullptr ? tokenizer->pad_id() : 0;
  const int64_t B = static_cast<int64_t>(prompts.size());
  size_t longest = 0;
  for (size_t r = 0; r < prompts.size(); ++r) {
    if (prompts[r].empty()) throw Error("generate: prompt " + std::to_string(r) + " is empty");
    longest = std::max(longest, prompts[r].size());
  }
  const int64_t L = static_cast<int64_t>(longest);
  // Left padding: every row's last prompt token sits at column L - 1.
  std::vector<int64_t> ids(static_cast<size_t>(B * L), pad), mask(static_cast<size_t>(B * L), 0);
  for (int64_t r = 0; r < B; ++r) {
    const auto& p = prompts[static_cast<size_t>(r)];
    const int64_t offset = L - static_cast<int64_t>(p.size());
    for (size_t j = 0; j < p.size(); ++j) {
      ids[static_cast<size_t>(r * L + offset) + j] = p[j];
      mask[static_cast<size_t>(r * L + offset) + j] = 1;
    }
  }
  const at::Device device = model->model->embed_tokens->weight.device();
  const at::Tensor attention = at::tensor(mask, at::kLong).view({B, L}).to(device);  // [B, L]
  const at::Tensor input = at::tensor(ids, at::kLong).view({B, L}).to(device);       // [B, L]
  at::NoGradGuard no_grad;
  return generate_from_embeds({model, {}, {}}, model->embed(input), attention, options, tokenizer,
                              on_token);
}

GenerationResult generate_from_embeds(const DecodingModel& dm, const at::Tensor& embeds,
                                      const at::Tensor& attention_mask,
                                      const GenerationOptions& options,
                                      const TextTokenizer* tokenizer,
                                      const TokenCallback& on_token) {
  check_options(options, tokenizer);
  LlamaForCausalLM model = dm.llm;
  const auto embed = [&](const at::Tensor& ids) {
    return dm.embed ? dm.embed(ids) : model->embed(ids);
  };
  const auto logits_of = [&](const at::Tensor& h) {
    return dm.logits ? dm.logits(h) : model->logits(h);
  };
  if (embeds.dim() != 3 || !attention_mask.sizes().equals({embeds.size(0), embeds.size(1)}))
    throw Error("generate: embeddings must be [B, L, D] with an attention mask [B, L], got " +
                c10::str(embeds.sizes()) + " and " + c10::str(attention_mask.sizes()));
  // Every EOS the model's config names (LLaMA 3 has several), plus the tokenizer's.
  std::vector<int64_t> eos = model->config().eos_token_ids;
  if (tokenizer != nullptr) eos.push_back(tokenizer->eos_id());
  const int64_t pad = tokenizer != nullptr ? tokenizer->pad_id() : 0;
  const int64_t B = embeds.size(0), L = embeds.size(1);
  const at::Device device = embeds.device();
  const auto long_opts = at::TensorOptions(at::kLong).device(device);

  GenerationResult result;
  result.tokens.resize(static_cast<size_t>(B));
  result.texts.resize(static_cast<size_t>(B));
  result.finish.assign(static_cast<size_t>(B), "length");
  std::vector<bool> done(static_cast<size_t>(B), options.max_new_tokens == 0);
  if (options.max_new_tokens == 0) return result;

  at::NoGradGuard no_grad;
  KvCache cache = model->make_cache(L + options.max_new_tokens);
  at::Generator generator = runtime::make_cpu_generator("generate", options.seed);
  at::Tensor input = embeds;                            // [B, T, D]
  at::Tensor attention = attention_mask.to(long_opts);  // [B, S]
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    const LlamaOutput out = model->forward_embeds(input, attention, {}, &cache, LogitsFor::kNone);
    const at::Tensor last = logits_of(out.hidden.narrow(1, out.hidden.size(1) - 1, 1));  // [B,1,V']
    const at::Tensor next =
        sample_next(last.select(1, 0), options.sampling, generator).to(at::kCPU);  // [B]
    const int64_t* next_ids = next.data_ptr<int64_t>();
    std::vector<int64_t> feed(static_cast<size_t>(B), pad);
    bool all_done = true;
    for (int64_t r = 0; r < B; ++r) {
      const auto ri = static_cast<size_t>(r);
      if (done[ri]) continue;
      const int64_t token = next_ids[r];
      if (options.stop_at_eos && std::find(eos.begin(), eos.end(), token) != eos.end()) {
        done[ri] = true;
        result.finish[ri] = "eos";
        continue;
      }
      result.tokens[ri].push_back(token);
      feed[ri] = token;
      if (on_token) on_token(r, token);
      if (std::find(options.stop_token_ids.begin(), options.stop_token_ids.end(), token) !=
          options.stop_token_ids.end()) {
        done[ri] = true;
        result.finish[ri] = "stop";
        continue;
      }
      if (!options.stop.empty() &&
          find_stop(tokenizer->decode(result.tokens[ri]), options.stop) != std::string::npos) {
        done[ri] = true;
        result.finish[ri] = "stop";
        continue;
      }
      all_done = false;
    }
    if (all_done || step + 1 == options.max_new_tokens) break;
    input = embed(at::tensor(feed, at::kLong).view({B, 1}).to(device));
    attention = at::cat({attention, at::ones({B, 1}, long_opts)}, 1);
  }
  if (tokenizer != nullptr) {
    for (size_t r = 0; r < result.tokens.size(); ++r) {
      std::string text = tokenizer->decode(result.tokens[r]);
      const size_t cut = find_stop(text, options.stop);
      if (cut != std::string::npos) text.resize(cut);
      result.texts[r] = std::move(text);
    }
  }
  return result;
}

}  // namespace setok::llm
