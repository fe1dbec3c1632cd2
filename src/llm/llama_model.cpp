#include "setok/llm/llama_model.h"

#include <ATen/ATen.h>

#include "setok/llm/kv_cache.h"
#include "setok/nn/checkpoint.h"
#include "setok/runtime/error.h"
#include "setok/runtime/strings.h"

namespace setok::llm {

namespace {

// The per-pass mask: without padding, cache and spans, the plain causal flag (fused kernels);
// else an explicit [B, 1, T, S] bool mask: key j is real and (j <= past + i, or i and j lie in
// the same bidirectional span).
AttentionMask build_mask(const at::Tensor& attention_mask, const at::Tensor& spans, int64_t B,
                         int64_t T, int64_t past, const at::Device& device) {
  if (!attention_mask.defined() && !spans.defined() && past == 0) return {{}, true};
  const int64_t S = past + T;
  const at::Tensor j = at::arange(S, at::TensorOptions(at::kLong).device(device));  // [S]
  const at::Tensor i = at::arange(past, S, at::TensorOptions(at::kLong).device(device));
  at::Tensor allowed = j.view({1, S}) <= i.view({T, 1});  // [T, S]
  allowed = allowed.view({1, 1, T, S});
  if (spans.defined()) {
    const at::Tensor key = spans.to(device).view({B, 1, 1, S});
    const at::Tensor query = spans.to(device).narrow(1, past, T).view({B, 1, T, 1});
    allowed = allowed.logical_or(query.eq(key).logical_and(query.ge(0)));  // [B, 1, T, S]
  }
  if (attention_mask.defined()) {
    allowed = allowed.logical_and(attention_mask.to(at::kBool).view({B, 1, 1, S}));
  } else if (allowed.size(0) != B) {
    allowed = allowed.expand({B, 1, T, S});
  }
  return {allowed, false};
}

}  // namespace

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c, c10::ScalarType dtype) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(
                                                     c.vocab_size, c.hidden_size)));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    blocks_.emplace_back(c);
    layers->push_back(blocks_.back());
  }
  norm = register_module("norm", nn::RmsNorm(c.hidden_size, c.rms_norm_eps));
  to(dtype);
  inv_freq_ = nn::rope_inv_freq(c.rope());
}

at::Tensor LlamaModelImpl::forward(const at::Tensor& embeds, const at::Tensor& attention_mask,
                                   const at::Tensor& position_ids, KvCache* cache,
                                   const at::Tensor& spans) {
  if (embeds.dim() != 3 || embeds.size(2) != embed_tokens->weight.size(1)) {
    throw Error("LLaMA: embeddings must be [B, T, " + std::to_string(embed_tokens->weight.size(1)) +
                "], got " + c10::str(embeds.sizes()));
  }
  const int64_t B = embeds.size(0), T = embeds.size(1);
  const int64_t past = cache != nullptr ? cache->length() : 0;
  if (cache != nullptr && past > 0 && cache->batch() != B) {
    throw Error("LLaMA: the KV cache holds " + std::to_string(cache->batch()) +
                " rows, the input has " + std::to_string(B));
  }
  if (attention_mask.defined() && (attention_mask.dim() != 2 || attention_mask.size(0) != B ||
                                   attention_mask.size(1) != past + T)) {
    throw Error("LLaMA: attention_mask must be [B, past + T] = [" + std::to_string(B) + ", " +
                std::to_string(past + T) + "], got " + c10::str(attention_mask.sizes()));
  }
  if (spans.defined() && (spans.dim() != 2 || spans.size(0) != B || spans.size(1) != past + T)) {
    throw Error("LLaMA: spans must be [B, past + T] = [" + std::to_string(B) + ", " +
                std::to_string(past + T) + "], got " + c10::str(spans.sizes()));
  }
  at::Tensor positions = position_ids;  // [B, T]
  if (!positions.defined()) {
    if (attention_mask.defined()) {
      positions = (attention_mask.to(at::kLong).cumsum(1) - 1).clamp_min(0).narrow(1, past, T);
    } else {
      positions = at::arange(past, past + T, at::TensorOptions(at::kLong).device(embeds.device()))
                      .view({1, T})
                      .expand({B, T});
    }
  } else if (!positions.sizes().equals({B, T})) {
    throw Error("LLaMA: position_ids must be [B, T], got " + c10::str(positions.sizes()));
  }
  if (inv_freq_.device() != embeds.device()) inv_freq_ = inv_freq_.to(embeds.device());
  const nn::RopeTables rope = nn::rope_tables(inv_freq_, positions, embeds.scalar_type());
  const AttentionMask mask = build_mask(attention_mask, spans, B, T, past, embeds.device());
  at::Tensor h = embeds;  // [B, T, D]
  const bool recompute =
      checkpointing_ && cache == nullptr && is_training() && at::GradMode::is_enabled();
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const auto layer = static_cast<int64_t>(l);
    if (recompute) {
      h = nn::checkpoint(
          [block = blocks_[l], rope, mask, layer](const at::Tensor& in) mutable {
            return block->forward(in, rope, mask, nullptr, layer);
          },
          h);
    } else {
      h = blocks_[l]->forward(h, rope, mask, cache, layer);
    }
  }
  if (cache != nullptr) cache->advance(T);
  return norm->forward(h);
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& config, c10::ScalarType dtype)
    : config_(config) {
  config_.check("LLaMA config");
  model = register_module("model", LlamaModel(config_, dtype));
  if (!config_.tie_word_embeddings) {
    lm_head = register_module(
        "lm_head", nn::LoraLinear(config_.hidden_size, config_.vocab_size, false, dtype));
  }
  init_weights();
}

void LlamaForCausalLMImpl::init_weights() {
  at::NoGradGuard no_grad;
  const double std = config_.initializer_range;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    at::Tensor p = item.value();
    if (name.find("norm.weight") != std::string::npos) {
      p.fill_(1.0);
    } else if (runtime::ends_with(name, ".bias")) {
      p.zero_();
    } else if (name.find("lora_B") != std::string::npos) {
      p.zero_();
    } else if (name.find("lora_A") == std::string::npos) {
      p.normal_(0.0, std);
    }
  }
}

at::Tensor LlamaForCausalLMImpl::embed(const at::Tensor& input_ids) {
  if (input_ids.dim() != 2) {
    throw Error("LLaMA: input_ids must be [B, T], got " + c10::str(input_ids.sizes()));
  }
  // One host sync per call (this runs every decoding step); the details only on failure.
  if (input_ids.numel() > 0 &&
      (input_ids.lt(0) | input_ids.ge(config_.vocab_size)).any().item<bool>()) {
    const int64_t lo = input_ids.min().item<int64_t>(), hi = input_ids.max().item<int64_t>();
    throw Error("LLaMA: token id " + std::to_string(lo < 0 ? lo : hi) +
                " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")" +
                (lo == -200 ? " (-200 marks <image>: splice image embeddings first)" : ""));
  }
  return at::embedding(model->embed_tokens->weight, input_ids);  // [B, T, D]
}

at::Tensor LlamaForCausalLMImpl::logits(const at::Tensor& hidden) {
  const at::Tensor out =
      lm_head ? lm_head->forward(hidden) : at::linear(hidden, model->embed_tokens->weight);
  return out.to(at::kFloat);
}

LlamaOutput LlamaForCausalLMImpl::forward_embeds(const at::Tensor& embeds,
                                                 const at::Tensor& attention_mask,
                                                 const at::Tensor& position_ids, KvCache* cache,
                                                 LogitsFor which, const at::Tensor& spans) {
  LlamaOutput out;
  out.hidden = model->forward(embeds, attention_mask, position_ids, cache, spans);  // [B, T, D]
  if (which == LogitsFor::kAll) out.logits = logits(out.hidden);
  if (which == LogitsFor::kLast)
    out.logits = logits(out.hidden.narrow(1, out.hidden.size(1) - 1, 1));
  return out;
}

at::Tensor LlamaForCausalLMImpl::forward(const at::Tensor& input_ids,
                                         const at::Tensor& attention_mask,
                                         const at::Tensor& position_ids, KvCache* cache) {
  return forward_embeds(embed(input_ids), attention_mask, position_ids, cache).logits;
}

void LlamaForCausalLMImpl::resize_token_embeddings(int64_t vocab_size) {
  const int64_t old = config_.vocab_size;
  if (vocab_size < old) {
    throw Error("LLaMA: cannot shrink the vocabulary from " + std::to_string(old) + " to " +
                std::to_string(vocab_size));
  }
  if (vocab_size == old) return;
  at::NoGradGuard no_grad;
  auto grow = [&](at::Tensor& weight) {  // [old, D] -> [vocab_size, D]
    const at::Tensor mean = weight.to(at::kFloat).mean(0, true).to(weight.scalar_type());
    weight.set_data(at::cat({weight, mean.expand({vocab_size - old, weight.size(1)})}, 0));
  };
  grow(model->embed_tokens->weight);
  if (lm_head) {
    if (lm_head->has_lora()) throw Error("LLaMA: resize the vocabulary before attaching LoRA");
    grow(lm_head->weight);
  }
  model->embed_tokens->options.num_embeddings(vocab_size);
  config_.vocab_size = vocab_size;
}

KvCache LlamaForCausalLMImpl::make_cache(int64_t capacity) const {
  return KvCache(config_.num_hidden_layers, capacity);
}

}  // namespace setok::llm
