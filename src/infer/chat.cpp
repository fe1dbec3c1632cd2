#include "setok/infer/chat.h"

#include <chrono>

#include "setok/llm/chat_template.h"
#include "setok/llm/text_streamer.h"
#include "setok/runtime/error.h"

namespace setok::infer {

std::string chat_prompt(const std::string& template_name, const std::string& user_text) {
  if (template_name == "none") return user_text;
  const llm::ChatTemplate t = llm::parse_chat_template(template_name);
  return llm::render_conversation(t, {{"human", user_text}}, /*add_generation_prompt=*/true).text;
}

ChatResult chat(llm::LlamaForCausalLM& model, const llm::TextTokenizer& tokenizer,
                const std::string& user_text, const ChatOptions& options,
                const std::function<void(const std::string&)>& on_text) {
  ChatResult result;
  result.prompt = chat_prompt(options.template_name, user_text);
  const std::vector<int64_t> ids = tokenizer.encode(result.prompt);
  for (const int64_t id : ids) {
    if (id == llm::kImageTokenId) {
      throw Error("chat: the prompt contains <image>, but this is the text-only chat");
    }
  }
  result.prompt_tokens = static_cast<int64_t>(ids.size());
  if (result.prompt_tokens + options.generation.max_new_tokens >
      model->config().max_position_embeddings) {
    throw Error("chat: prompt (" + std::to_string(result.prompt_tokens) + " tokens) plus " +
                std::to_string(options.generation.max_new_tokens) +
                " new tokens exceeds the model's context of " +
                std::to_string(model->config().max_position_embeddings));
  }
  llm::TextStreamer streamer(tokenizer, options.generation.stop);
  const auto start = std::chrono::steady_clock::now();
  model->eval();
  const llm::GenerationResult out =
      llm::generate(model, {ids}, options.generation, &tokenizer, [&](int64_t, int64_t token) {
        const std::string piece = streamer.push(token);
        if (on_text && !piece.empty()) on_text(piece);
      });
  const std::string rest = streamer.finish();
  if (on_text && !rest.empty()) on_text(rest);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.text = out.texts[0];
  result.new_tokens = static_cast<int64_t>(out.tokens[0].size());
  result.finish = out.finish[0];
  return result;
}

}  // namespace setok::infer
