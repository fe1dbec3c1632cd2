#include "setok/train/setokim_plan.h"

#include <cstdio>
#include <filesystem>

#include "setok/detokenizer/setok_detokenizer.h"
#include "setok/llm/llama_config.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/mllm/projector.h"
#include "setok/nn/lora.h"
#include "setok/runtime/device.h"
#include "setok/tokenizer/setok_tokenizer.h"

namespace setok::train {

namespace {

int64_t count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The LLM architecture a config describes, without loading weights: the pretrained folder's
// config.json when it is there, else the size keys with the tokenizer's (or the configured)
// vocabulary.
llm::LlamaConfig llm_architecture(const llm::LlmConfig& c) {
  if (!c.pretrained.empty() && std::filesystem::exists(c.pretrained + "/config.json")) {
    return c.architecture(0);
  }
  llm::LlmConfig keys = c;
  keys.pretrained.clear();
  int64_t vocab = c.vocab_size;
  const std::string tok = c.tokenizer_path();
  if (vocab <= 0 && !tok.empty() && std::filesystem::exists(tok)) {
    vocab = llm::TextTokenizer(tok).base_vocab_size();
  }
  llm::LlamaConfig a = keys.architecture(vocab);
  a.vocab_size = vocab;
  return a;
}

}  // namespace

int64_t llama_parameters(const llm::LlamaConfig& c) {
  const int64_t H = c.hidden_size, hd = c.head_size(), q = c.num_attention_heads * hd,
                kv = c.kv_heads() * hd, I = c.intermediate_size, V = c.vocab_size;
  const int64_t layer = H * q + 2 * H * kv + q * H + 3 * H * I + 2 * H;
  return V * H + c.num_hidden_layers * layer + H + (c.tie_word_embeddings ? 0 : V * H);
}

int64_t llama_lora_parameters(const llm::LlamaConfig& c, const nn::LoraOptions& o) {
  const int64_t H = c.hidden_size, hd = c.head_size(), q = c.num_attention_heads * hd,
                kv = c.kv_heads() * hd, I = c.intermediate_size;
  const std::vector<std::tuple<std::string, int64_t, int64_t>> linears = {
      {"self_attn.q_proj", H, q}, {"self_attn.k_proj", H, kv}, {"self_attn.v_proj", H, kv},
      {"self_attn.o_proj", q, H}, {"mlp.gate_proj", H, I},     {"mlp.up_proj", H, I},
      {"mlp.down_proj", I, H}};
  int64_t per_layer = 0;
  for (const auto& [name, in, out] : linears) {
    const std::string full = "model.layers.0." + name;
    for (const auto& pattern : o.target_modules) {
      if (nn::lora_pattern_matches(pattern, full)) {
        per_layer += o.r * (in + out);
        break;
      }
    }
  }
  return per_layer * c.num_hidden_layers;
}

SetokimPlan plan_setokim(const SetokimConfig& cfg_in) {
  SetokimConfig cfg = cfg_in;
  // Without its weights a pretrained tower is described by the size keys.
  if (!cfg.model.vision.pretrained.empty() &&
      !std::filesystem::exists(cfg.model.vision.pretrained + "/config.json")) {
    cfg.model.vision.pretrained.clear();
  }
  cfg.model.detokenizer.bert_init.clear();
  SetokimPlan plan;
  tokenizer::SetokTokenizer setok(cfg.model.vision, cfg.model.tokenizer);
  detokenizer::SetokDetokenizer detok(cfg.model.detokenizer, setok->token_dim());
  plan.parts["setok"] = {count(*setok), 0};
  plan.parts["detokenizer"] = {count(*detok), 0};
  const llm::LlamaConfig arch = llm_architecture(cfg.model.llm);
  const bool full = cfg.train.trainable == "full";
  const int64_t llm_params = llama_parameters(arch);
  plan.parts["llm"] = {llm_params, full ? llm_params : 0};
  const llm::LoraConfig& lora = cfg.model.llm.lora;
  if (cfg.train.trainable == "lora" || lora.enabled) {
    const int64_t n = llama_lora_parameters(arch, lora.options());
    plan.parts["lora"] = {n, cfg.train.trainable == "lora" ? n : 0};
  }
  const int64_t H = arch.hidden_size, D = setok->token_dim();
  mllm::Projector in(cfg.model.projectors.in, D, H), out(cfg.model.projectors.out, H, H);
  plan.parts["mm_in_projector"] = {count(*in), cfg.train.tune_mm_in_adapter ? count(*in) : 0};
  plan.parts["mm_out_projector"] = {count(*out), cfg.train.tune_mm_out_adapter ? count(*out) : 0};
  plan.parts["special_rows"] = {6 * H, 6 * H};
  {  // the condition's LayerNorm and slot embedding; mar: the count head and slot-index rows
    const mllm::SetokimModelOptions mo =
        cfg.model.options(D, setok->vision_tower->config().num_patches());
    const int64_t M = mo.max_image_tokens;
    const int64_t n = 2 * H + M * H + (mo.image_span == mllm::ImageSpan::kMar ? 2 * M * H : 0);
    plan.parts["slot_rows"] = {n, n};
  }
  diffusion::DiffLossOptions d = cfg.model.diffusion.options();
  d.target_channels = D;
  d.z_channels = H;
  diffusion::DiffLoss head(d);
  plan.parts["diffusion_head"] = {count(*head), count(*head)};
  const int64_t llm_bytes = c10::elementSize(runtime::parse_dtype(cfg.model.llm.dtype));
  for (const auto& [name, c] : plan.parts) {
    plan.total += c.total;
    plan.trainable += c.trainable;
    const int64_t bytes = name == "llm" || name == "lora" ? llm_bytes : 4;
    plan.weight_bytes += c.total * bytes;
    plan.gradient_bytes += c.trainable * bytes;
    plan.optimizer_bytes += c.trainable * (8 + (bytes < 4 ? 4 : 0));  // moments (+ master)
  }
  return plan;
}

mllm::SetokimModel random_setokim_model(const SetokimConfig& cfg) {
  vision::VisionConfig v = cfg.model.vision;
  v.pretrained.clear();
  const vision::SiglipVisionConfig tower = v.architecture();
  mllm::SetokimModelOptions o = cfg.model.options(
      cfg.model.tokenizer.out_dim > 0 ? cfg.model.tokenizer.out_dim : tower.hidden_size,
      tower.num_patches());
  o.llm = llm_architecture(cfg.model.llm);
  if (o.llm.vocab_size <= 0) o.llm.vocab_size = 32000;
  o.llm_dtype = runtime::parse_dtype(cfg.model.llm.dtype);
  return mllm::SetokimModel(o);
}

std::string SetokimPlan::text() const {
  std::string s;
  char line[160];
  std::snprintf(line, sizeof line, "%-18s %16s %16s\n", "part", "parameters", "trainable");
  s += line;
  for (const auto& [name, c] : parts) {
    std::snprintf(line, sizeof line, "%-18s %16lld %16lld\n", name.c_str(),
                  static_cast<long long>(c.total), static_cast<long long>(c.trainable));
    s += line;
  }
  std::snprintf(line, sizeof line, "%-18s %16lld %16lld\n", "total", static_cast<long long>(total),
                static_cast<long long>(trainable));
  s += line;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  std::snprintf(line, sizeof line,
                "memory: weights %.2f GiB, gradients %.2f GiB, AdamW state %.2f GiB (before "
                "activations)\n",
                static_cast<double>(weight_bytes) / gib, static_cast<double>(gradient_bytes) / gib,
                static_cast<double>(optimizer_bytes) / gib);
  s += line;
  return s;
}

}  // namespace setok::train
