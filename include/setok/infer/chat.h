#pragma once
// Text-only chat with the LLM: wrap the user's prompt in a conversation template, generate a
// reply with the KV cache, and hand the text to a callback as it is produced.
#include <functional>
#include <string>

#include "setok/llm/generation.h"
#include "setok/llm/llama_model.h"
#include "setok/llm/text_tokenizer.h"

namespace setok::infer {

struct ChatOptions {
  // "vicuna_v1" | "plain" | "none" (the prompt is used as is, after BOS).
  std::string template_name = "vicuna_v1";
  llm::GenerationOptions generation;
};

struct ChatResult {
  std::string prompt;  // what the model saw
  std::string text;    // the reply (cut before a stop string)
  int64_t prompt_tokens = 0;
  int64_t new_tokens = 0;
  std::string finish;  // eos | stop | length
  double seconds = 0;  // prefill + decoding
};

// The full prompt text for `user_text` under the template (generation prompt included).
std::string chat_prompt(const std::string& template_name, const std::string& user_text);

ChatResult chat(llm::LlamaForCausalLM& model, const llm::TextTokenizer& tokenizer,
                const std::string& user_text, const ChatOptions& options,
                const std::function<void(const std::string&)>& on_text = {});

}  // namespace setok::infer
