#include "setok/train/setokim_export.h"

#include <spdlog/spdlog.h>

#include "setok/io/checkpoint.h"
#include "setok/io/json.h"
#include "setok/io/safetensors.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/llm/llama_loader.h"
#include "setok/nn/lora.h"
#include "setok/runtime/error.h"
#include "setok/train/setokim_recipe.h"

namespace setok::train {

namespace fs = std::filesystem;

SetokimExport export_setokim(const SetokimConfig& cfg_in, const fs::path& checkpoint,
                             const fs::path& out) {
  const SetokimConfig& cfg = cfg_in;
  // The run's module as it started (SeTok, the LLM, init_from's weights, the adapters) ...
  Setokim setokim = build_setokim(cfg);
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
  fs::create_directories(out);
  SetokimExport e;
  llm::LlamaForCausalLM& model = setokim->model->llm;
  if (!nn::lora_layers(*model).empty()) {
    e.adapter = out / "adapter";
    nn::save_lora(*model, e.adapter, cfg.model.llm.lora.options(), cfg.model.llm.pretrained);
    nn::merge_lora(*model);
  }
  e.llm = out / "llm";
  llm::save_llama(model, e.llm);
  const std::string tokenizer = cfg.model.llm.tokenizer_path();
  if (!tokenizer.empty()) {
    fs::copy_file(tokenizer, e.llm / "tokenizer.model", fs::copy_options::overwrite_existing);
  }
  io::NamedTensors parts;
  for (auto& [name, t] : io::module_state(*setokim)) {
    if (name.rfind("model.llm.", 0) != 0 && name.rfind("model.", 0) == 0)
      parts.emplace_back(name, t);
  }
  e.projectors = out / "mm_projector.safetensors";
  io::save_safetensors(e.projectors, parts, {{"from", step.string()}});
  spdlog::info("exported {} -> {}", step.string(), out.string());
  return e;
}

}  // namespace setok::train
