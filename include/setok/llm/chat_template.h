#pragma once
// Conversation templates and label masking for instruction data (LLaVA's formats).
//
//   vicuna_v1: "<system> USER: <q1> ASSISTANT: <a1></s>USER: <q2> ASSISTANT: <a2></s>"
//   plain:     "<q><a>\n" where a question holding <image> is reduced to "<image>" (LLaVA's
//              pre-training format: the image, then its caption)
//
// Labels are kIgnoreIndex (-100) everywhere except on the assistant replies and their end token
// ("</s>" for vicuna_v1, "\n" for plain). The masking is exact: the tokens of the whole prompt
// are the model input, and each reply's span is located by tokenizing the prompt up to the
// reply's first and last character; if those tokenizations are not prefixes of the whole one
// (the tokenizer merged across a boundary), the sample is a mismatch: a warning is logged and
// every label is masked, as LLaVA does.
#include <string>
#include <vector>

#include "setok/llm/text_tokenizer.h"

namespace setok::llm {

enum class ChatTemplate { kPlain, kVicunaV1 };

// "plain" | "vicuna_v1" (errors list the names).
ChatTemplate parse_chat_template(const std::string& name);
std::string chat_template_name(ChatTemplate t);

struct Message {
  std::string from;  // "human" (or "user") / "gpt" (or "assistant")
  std::string value;
};

struct RenderedPrompt {
  std::string text;
  // [begin, end) character spans that are trained on: each reply with its end token; for
  // vicuna_v1 the span starts at the space after "ASSISTANT:".
  std::vector<std::pair<size_t, size_t>> replies;
};

// Turns must alternate human / assistant, starting with human (a leading non-human turn is
// dropped, as LLaVA does); otherwise setok::Error. With add_generation_prompt the text ends
// where the model should continue ("... ASSISTANT:"), after a final human turn.
RenderedPrompt render_conversation(ChatTemplate t, const std::vector<Message>& turns,
                                   bool add_generation_prompt = false);

struct TokenizedConversation {
  std::vector<int64_t> input_ids;  // BOS first; <image> as kImageTokenId
  std::vector<int64_t> labels;     // same length; kIgnoreIndex where not trained
  bool mismatch = false;
  std::string prompt;
};

// `label` names the sample in the mismatch warning (e.g. "data/train.json record 17").
TokenizedConversation tokenize_conversation(const TextTokenizer& tokenizer, ChatTemplate t,
                                            const std::vector<Message>& turns,
                                            const std::string& label = "");

extern const char* const kVicunaSystem;

}  // namespace setok::llm
