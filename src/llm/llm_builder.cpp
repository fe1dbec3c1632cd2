#include "setok/llm/llm_builder.h"

#include <spdlog/spdlog.h>

#include "setok/llm/llama_loader.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"

namespace setok::llm {

Llm build_llm(const LlmConfig& config, const c10::Device& device) {
  Llm llm;
  const std::string tokenizer_path = config.tokenizer_path();
  if (!tokenizer_path.empty()) llm.tokenizer = std::make_shared<TextTokenizer>(tokenizer_path);
  const c10::ScalarType dtype = runtime::parse_dtype(config.dtype);
  if (!config.pretrained.empty()) {
    llm.model = load_llama(config.pretrained, dtype);
  } else {
    const int64_t vocab = llm.tokenizer ? llm.tokenizer->vocab_size() : 0;
    if (config.vocab_size <= 0 && vocab <= 0) {
      throw Error("model.llm: vocab_size is 0 and there is no tokenizer to take it from");
    }
    llm.model = LlamaForCausalLM(config.architecture(vocab), dtype);
  }
  if (llm.tokenizer && llm.tokenizer->vocab_size() > llm.model->vocab_size()) {
    spdlog::info("LLM vocabulary {} -> {} (special tokens <im_start>, <im_end>, <target>)",
                 llm.model->vocab_size(), llm.tokenizer->vocab_size());
    llm.model->resize_token_embeddings(llm.tokenizer->vocab_size());
  }
  if (!config.lora.adapter.empty()) {
    nn::load_lora(*llm.model, config.lora.adapter);
  } else if (config.lora.enabled) {
    nn::apply_lora(*llm.model, config.lora.options());
  }
  for (const auto& [name, layer] : nn::lora_layers(*llm.model)) llm.lora_modules.push_back(name);
  llm.model->model->set_gradient_checkpointing(config.gradient_checkpointing);
  llm.model->to(device);
  return llm;
}

}  // namespace setok::llm
