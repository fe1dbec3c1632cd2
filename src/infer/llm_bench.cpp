#include "setok/infer/llm_bench.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/llm/kv_cache.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"
#include "setok/runtime/timing.h"

namespace setok::infer {

LlmBenchResult bench_llm(llm::LlamaForCausalLM& model, const c10::Device& device,
                         const LlmBenchOptions& o) {
  if (o.batch < 1 || o.seq < 2 || o.prompt < 1 || o.new_tokens < 1 || o.iters < 1 || o.warmup < 0)
    throw Error("bench llm: batch, prompt, new tokens and iters must be >= 1, seq >= 2");
  const int64_t V = model->vocab_size();
  const auto ids = [&](int64_t rows, int64_t len) {
    return at::randint(V, {rows, len}, at::TensorOptions(at::kLong)).to(device);
  };
  LlmBenchResult r;
  r.device = device.str();
  r.dtype = runtime::dtype_name(model->dtype());
  r.options = o;
  for (const auto& p : model->parameters()) r.parameters += p.numel();

  model->train();
  const at::Tensor tokens = ids(o.batch, o.seq);  // [B, T]
  r.train_step_ms = runtime::median_ms(device, o.warmup, o.iters, [&] {
    model->zero_grad();
    const at::Tensor logits = model->forward(tokens.narrow(1, 0, o.seq - 1));  // [B, T-1, V]
    at::cross_entropy_loss(logits.reshape({-1, V}), tokens.narrow(1, 1, o.seq - 1).reshape({-1}))
        .backward();
  });
  r.train_tokens_per_s = static_cast<double>(o.batch * o.seq) / (r.train_step_ms / 1000.0);

  model->eval();
  at::NoGradGuard no_grad;
  const at::Tensor prompt = ids(o.batch, o.prompt);
  llm::KvCache cache = model->make_cache(o.prompt + o.new_tokens);
  at::Tensor next;
  r.prefill_ms = runtime::median_ms(device, o.warmup, o.iters, [&] {
    cache.clear();
    next = model->forward(prompt, {}, {}, &cache).select(1, o.prompt - 1).argmax(-1);  // [B]
  });
  r.decode_ms = runtime::median_ms(device, o.warmup, o.iters, [&] {
    cache.truncate(o.prompt);
    at::Tensor token = next.view({o.batch, 1});
    for (int64_t s = 0; s < o.new_tokens; ++s) {
      token = model->forward(token, {}, {}, &cache).select(1, 0).argmax(-1).view({o.batch, 1});
    }
  });
  r.decode_tokens_per_s = static_cast<double>(o.batch * o.new_tokens) / (r.decode_ms / 1000.0);
  return r;
}

io::Json LlmBenchResult::to_json() const {
  return {{"device", device},
          {"dtype", dtype},
          {"parameters", parameters},
          {"batch", options.batch},
          {"seq", options.seq},
          {"prompt", options.prompt},
          {"new_tokens", options.new_tokens},
          {"train_step_ms", train_step_ms},
          {"train_tokens_per_s", train_tokens_per_s},
          {"prefill_ms", prefill_ms},
          {"decode_ms", decode_ms},
          {"decode_tokens_per_s", decode_tokens_per_s}};
}

std::string LlmBenchResult::to_text() const {
  return fmt::format(
      "LLaMA, {:.1f} M parameters, {} on {}\n"
      "  forward+backward  batch {} x seq {}: {:.1f} ms/step, {:.1f} tokens/s\n"
      "  prefill           batch {} x {} tokens: {:.1f} ms\n"
      "  decode (KV cache) batch {} x {} new tokens: {:.1f} ms, {:.1f} tokens/s\n",
      static_cast<double>(parameters) / 1e6, dtype, device, options.batch, options.seq,
      train_step_ms, train_tokens_per_s, options.batch, options.prompt, prefill_ms, options.batch,
      options.new_tokens, decode_ms, decode_tokens_per_s);
}

}  // namespace setok::infer
