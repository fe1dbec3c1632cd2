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

namespace setok::train {

namespace fs = std::filesystem;

SetokimExport export_setokim(const SetokimConfig& cfg_in, const fs::path& checkpoint,
                             const fs::path& out) {
  const SetokimConfig& cfg = cfg_in;
  mllm::Setokim setokim = mllm::load_setokim_run(cfg.model, cfg.start(), checkpoint);
  const fs::path step = io::resolve_checkpoint(checkpoint);
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
