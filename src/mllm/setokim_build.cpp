#include "setok/mllm/setokim_build.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "setok/io/checkpoint.h"
#include "setok/io/json.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/llm/llama_loader.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/nn/lora.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"

namespace setok::mllm {

namespace fs = std::filesystem;

void SetokimModelSection::describe(config::Schema& s) {
  s.field("setok_checkpoint", setok_checkpoint,
          "stage-1 run or step folder with the SeTok weights (tokenizer and detokenizer; frozen)");
  s.section("vision", vision, "the stage-1 vision tower (as in its stage-1 config)");
  s.section("tokenizer", tokenizer, "the stage-1 tokenizer (as in its stage-1 config)");
  s.section("detokenizer", detokenizer, "the stage-1 detokenizer (as in its stage-1 config)");
  s.section("llm", llm, "LLaMA backbone, text tokenizer, chat template, LoRA");
  s.section("projectors", projectors, "mm_in_projector and mm_out_projector");
  s.section("diffusion", diffusion, "the MAR diffusion head over SeTok tokens");
  s.choice("image_span", image_span, {"mar", "ar"},
           "how an output image's slots are trained and drawn: mar (bidirectional inside the "
           "span, random slots hidden, the count predicted at <im_start>, filled over MAR "
           "steps) or ar (causal raster order, each slot drawn from the state before it)");
}

SetokimModelOptions SetokimModelSection::options(int64_t token_dim, int64_t patches) const {
  SetokimModelOptions o;
  o.token_dim = token_dim;
  o.in_projector = projectors.in;
  o.out_projector = projectors.out;
  o.diffloss = diffusion.options();
  o.image_span = parse_image_span(image_span);
  o.token_norm = parse_token_norm(diffusion.token_norm);
  o.start_condition = diffusion.start_condition;
  // An image has at most max_clusters tokens (dynamic; 0 = one per patch) or grid^2 (fixed).
  o.max_image_tokens = tokenizer.mode == "fixed"    ? tokenizer.grid * tokenizer.grid
                       : tokenizer.max_clusters > 0 ? std::min(tokenizer.max_clusters, patches)
                                                    : patches;
  return o;
}

void SetokimModelSection::check_files(const std::string& path) const {
  if (!setok_checkpoint.empty() && !std::filesystem::exists(setok_checkpoint)) {
    config::fail(config::join(path, "setok_checkpoint"),
                 "'" + setok_checkpoint + "' does not exist (train stage 1 first?)");
  }
}

namespace {

// SeTok and the detokenizer (from the stage-1 checkpoint, frozen) and the model (the LLM
// pretrained or random; projectors, special rows and head fresh).
Setokim make_setokim(const SetokimModelSection& m) {
  tokenizer::SetokTokenizer setok(m.vision, m.tokenizer);
  detokenizer::SetokDetokenizer detok(m.detokenizer, setok->token_dim());
  if (!m.setok_checkpoint.empty()) {
    tokenizer::load_tokenizer_weights(*setok, m.setok_checkpoint);
    detokenizer::load_detokenizer_weights(*detok, m.setok_checkpoint);
  }
  for (auto& p : setok->parameters()) p.requires_grad_(false);
  for (auto& p : detok->parameters()) p.requires_grad_(false);
  const llm::LlmConfig& lc = m.llm;
  const std::string tok_path = lc.tokenizer_path();
  if (tok_path.empty()) throw Error("model.llm.tokenizer: Setokim needs the LLM's text tokenizer");
  const llm::TextTokenizer text(tok_path);
  SetokimModelOptions o =
      m.options(setok->token_dim(), setok->vision_tower->config().num_patches());
  llm::LlamaForCausalLM base{nullptr};
  if (!lc.pretrained.empty()) {
    base = llm::load_llama(lc.pretrained, runtime::parse_dtype(lc.dtype));
    if (base->vocab_size() != text.base_vocab_size()) {
      throw Error("model.llm: the LLM has " + std::to_string(base->vocab_size()) +
                  " vocabulary rows, its tokenizer " + std::to_string(text.base_vocab_size()) +
                  " pieces; Setokim adds <im_start>, <im_end>, <target> as rows of its own");
    }
  } else {
    o.llm = lc.architecture(text.base_vocab_size());
    o.llm.vocab_size = text.base_vocab_size();
    o.llm_dtype = runtime::parse_dtype(lc.dtype);
  }
  SetokimModel model(o, base);
  model->llm->model->set_gradient_checkpointing(lc.gradient_checkpointing);
  return Setokim(setok, detok, model);
}

void load_init_from(Setokim& setokim, const fs::path& folder) {
  // A stage-2 run or step folder, or an exported mm_projector.safetensors.
  const bool file = fs::is_regular_file(folder);
  const fs::path step = file ? folder.parent_path() : io::resolve_checkpoint(folder);
  const fs::path weights = file ? folder : step / "model.safetensors";
  // Frozen SeTok parts must be those the stage-2 run was trained with.
  const io::Json state = fs::exists(step / "trainer.json") && !file
                             ? io::read_json(step / "trainer.json")
                             : io::Json();
  if (!state.is_null() && state.contains("base") && state["base"].contains("parts")) {
    for (const char* part : {"setok", "detokenizer"}) {
      if (!state["base"]["parts"].contains(part)) continue;
      torch::nn::Module& m = std::string(part) == "setok"
                                 ? static_cast<torch::nn::Module&>(*setokim->setok)
                                 : *setokim->detokenizer;
      const std::string have = io::frozen_fingerprint(m, std::string(part) + ".");
      if (state["base"]["parts"][part] != have) {
        throw Error("train.init_from: " + step.string() + " was trained with other " + part +
                    " weights (fingerprint " + state["base"]["parts"][part].get<std::string>() +
                    ", here " + have + "): set model.setok_checkpoint to its stage-1 run");
      }
    }
  }
  // Whatever trained there (projectors, special rows, head; the LLM when it trained) starts
  // here; everything else keeps its value.
  io::LoadOptions o;
  o.strict = false;
  const io::LoadReport r = io::load_state(*setokim, io::TensorStore::open(weights), o);
  if (!r.unexpected.empty() || !r.mismatched.empty() || r.loaded.empty()) {
    throw Error("train.init_from: " + weights.string() + " does not fit this model:\n" +
                r.summary());
  }
  spdlog::info("init_from {}: {} tensors", weights.string(), r.loaded.size());
}

}  // namespace

Setokim build_setokim(const SetokimModelSection& model, const SetokimStart& start) {
  Setokim setokim = make_setokim(model);
  if (!start.init_from.empty()) load_init_from(setokim, start.init_from);
  const llm::LoraConfig& lora = model.llm.lora;
  if (start.lora || lora.enabled || !lora.adapter.empty()) {
    if (!lora.adapter.empty()) {
      nn::load_lora(*setokim->model->llm, lora.adapter);
    } else {
      nn::apply_lora(*setokim->model->llm, lora.options());
    }
  }
  return setokim;
}

Setokim load_setokim_run(const SetokimModelSection& model, const SetokimStart& start,
                         const fs::path& checkpoint) {
  // The run's module as it started (SeTok, the LLM, init_from's weights, the adapters) ...
  Setokim setokim = build_setokim(model, start);
  for (auto& p : setokim->parameters()) p.requires_grad_(false);
  const fs::path step = io::resolve_checkpoint(checkpoint);
  const io::Json state = io::read_json(step / "trainer.json");
  // ... must hold the base the run was trained on, everything the checkpoint does not hold:
  // the names the checkpoint holds are exactly what trained.
  const io::TensorStore store = io::TensorStore::open(step / "model.safetensors");
  for (const auto& item : setokim->named_parameters()) {
    if (store.contains(item.key())) item.value().requires_grad_(true);
  }
  if (state.contains("base")) {
    const std::string want = state["base"].value("fingerprint", "");
    const std::string have = io::frozen_fingerprint(*setokim);
    if (want != have) {
      throw Error(step.string() + ": trained on the base '" + state["base"].value("source", "?") +
                  "' (fingerprint " + want + "), but this config builds another (" + have +
                  "): use the run's own config (config.resolved.json)");
    }
  }
  io::load_trainable_state(*setokim, store);
  for (auto& p : setokim->parameters()) p.requires_grad_(false);
  return setokim;
}

}  // namespace setok::mllm
