#include "setok/train/mllm_bench.h"

#include <fstream>
#include <optional>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"
#include "setok/runtime/timing.h"
#include "setok/train/adamw.h"

namespace setok::train {

int64_t peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream s(line.substr(6));
      int64_t kib = 0;
      s >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

namespace {

// One synthetic batch built as training builds it: [text tokens..., <im_start>, slots...,
// <im_end>] per sample under the model's image span, slots 85 % hidden (mar).
struct Synthetic {
  mllm::SequenceBatch batch;
  at::Tensor tokens, hidden;
};

Synthetic synthetic(const mllm::SetokimModelImpl& m, const MllmBenchOptions& o,
                    const c10::Device& device) {
  const int64_t V = m.base_vocab(), B = o.batch;
  const mllm::SpecialIds ids{V, V + 1, V + 2, 0};
  const at::Tensor text = at::randint(V, {B, o.text}, at::TensorOptions(at::kLong));
  std::vector<mllm::Sequence> rows;
  std::vector<int64_t> offsets;
  for (int64_t b = 0; b < B; ++b) {
    llm::TokenizedConversation c;
    c.input_ids.assign(text[b].data_ptr<int64_t>(), text[b].data_ptr<int64_t>() + o.text);
    c.labels = c.input_ids;
    c.input_ids.push_back(ids.target);  // the output image's marker in an assistant reply
    c.labels.push_back(ids.target);
    rows.push_back(mllm::expand_images(c, {o.slots}, ids, m.options().image_span));
    offsets.push_back(b);
  }
  Synthetic s;
  s.batch = mllm::collate_sequences(rows, offsets, ids.pad);
  s.hidden = s.batch.output & (at::rand(s.batch.output.sizes()) < 0.85);
  s.tokens = at::randn({B, o.slots, m.options().token_dim});
  auto to = [&](at::Tensor& t) { t = t.to(device); };
  for (at::Tensor* t : {&s.batch.input_ids, &s.batch.labels, &s.batch.attention_mask,
                        &s.batch.position_ids, &s.batch.image, &s.batch.slot, &s.batch.output,
                        &s.batch.count, &s.batch.spans, &s.tokens, &s.hidden})
    to(*t);
  return s;
}

MllmStageResult run_stage(mllm::SetokimModel& model, const std::string& stage, const Synthetic& s,
                          const c10::Device& device, const MllmBenchOptions& o) {
  MllmStageResult r;
  r.stage = stage;
  std::vector<std::pair<std::string, at::Tensor>> trainable;
  for (const auto& item : model->named_parameters()) {
    if (item.value().requires_grad()) {
      trainable.emplace_back(item.key(), item.value());
      r.trainable += item.value().numel();
    }
  }
  train::AdamW opt(train::decay_groups(trainable, 0.0), {});
  model->train();
  if (device.is_cuda()) compat::reset_cuda_peak_memory(device.index() < 0 ? 0 : device.index());
  r.step_ms = runtime::median_ms(device, o.warmup, o.iters, [&] {
    opt.zero_grad();
    std::optional<compat::AutocastGuard> guard;
    if (o.bf16) guard.emplace(device.type(), c10::kBFloat16);
    const mllm::SetokimLosses l = model->forward(s.batch, s.tokens, s.hidden);
    guard.reset();
    (l.text + l.diffusion).backward();
    opt.step(1e-4);
  });
  r.tokens_per_s = static_cast<double>(s.batch.input_ids.numel()) / (r.step_ms / 1000.0);
  if (device.is_cuda()) {
    const int64_t peak = compat::cuda_peak_allocated_bytes(device.index() < 0 ? 0 : device.index());
    if (peak >= 0) r.peak_allocated_gib = static_cast<double>(peak) / (1 << 30);
  }
  return r;
}

}  // namespace

MllmBenchResult bench_mllm(mllm::SetokimModel& model, const c10::Device& device,
                           const MllmBenchOptions& o) {
  if (o.batch < 1 || o.text < 2 || o.slots < 1 || o.iters < 1 || o.warmup < 0)
    throw Error("bench mllm: batch, slots and iters must be >= 1, text >= 2");
  MllmBenchResult r;
  r.device = device.str();
  r.options = o;
  for (const auto& p : model->parameters()) r.parameters += p.numel();
  model->to(device);
  const Synthetic s = synthetic(*model, o, device);
  // Stage 2: everything but the LLM trains.
  for (auto& p : model->parameters()) p.requires_grad_(true);
  for (auto& p : model->llm->parameters()) p.requires_grad_(false);
  r.stages.push_back(run_stage(model, "stage2", s, device, o));
  // Stage 3: LoRA adapters on the frozen LLM, plus the rest.
  nn::apply_lora(*model->llm, o.lora);
  model->to(device);
  for (auto& p : nn::lora_parameters(*model->llm)) p.requires_grad_(true);
  r.stages.push_back(run_stage(model, "stage3", s, device, o));
  if (device.is_cpu()) r.peak_rss_gib = static_cast<double>(peak_rss_bytes()) / (1 << 30);
  return r;
}

io::Json MllmBenchResult::to_json() const {
  io::Json stages_json = io::Json::array();
  for (const auto& st : stages) {
    io::Json stage = {{"stage", st.stage},
                      {"trainable", st.trainable},
                      {"step_ms", st.step_ms},
                      {"tokens_per_s", st.tokens_per_s}};
    if (st.peak_allocated_gib >= 0) stage["peak_allocated_gib"] = st.peak_allocated_gib;
    stages_json.push_back(stage);
  }
  io::Json j = {{"device", device},         {"parameters", parameters}, {"batch", options.batch},
                {"text", options.text},     {"slots", options.slots},   {"bf16", options.bf16},
                {"lora_r", options.lora.r}, {"stages", stages_json}};
  if (peak_rss_gib > 0) j["peak_rss_gib"] = peak_rss_gib;
  return j;
}

std::string MllmBenchResult::to_text() const {
  std::string s = fmt::format("setokim on {}: {} parameters, batch {} x ({} text + {} slots){}\n",
                              device, parameters, options.batch, options.text, options.slots,
                              options.bf16 ? ", bf16 autocast" : "");
  for (const auto& st : stages) {
    s += fmt::format("  {}: {} trainable, {:.1f} ms/step, {:.0f} tokens/s", st.stage, st.trainable,
                     st.step_ms, st.tokens_per_s);
    if (st.peak_allocated_gib >= 0)
      s += fmt::format(", peak allocated {:.2f} GiB", st.peak_allocated_gib);
    s += "\n";
  }
  if (peak_rss_gib > 0) s += fmt::format("  peak resident memory {:.2f} GiB\n", peak_rss_gib);
  return s;
}

}  // namespace setok::train
