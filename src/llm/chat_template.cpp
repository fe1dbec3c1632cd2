#include "setok/llm/chat_template.h"

#include <spdlog/spdlog.h>

#include "setok/runtime/error.h"

namespace setok::llm {

const char* const kVicunaSystem =
    "A chat between a curious user and an artificial intelligence assistant. The assistant "
    "gives helpful, detailed, and polite answers to the user's questions.";

ChatTemplate parse_chat_template(const std::string& name) {
  if (name == "plain") return ChatTemplate::kPlain;
  if (name == "vicuna_v1") return ChatTemplate::kVicunaV1;
  throw Error("unknown chat template '" + name + "' (known: plain, vicuna_v1)");
}

std::string chat_template_name(ChatTemplate t) {
  return t == ChatTemplate::kPlain ? "plain" : "vicuna_v1";
}

namespace {

bool is_human(const std::string& from) {
  return from == "human" || from == "user";
}
bool is_assistant(const std::string& from) {
  return from == "gpt" || from == "assistant";
}

}  // namespace

RenderedPrompt render_conversation(ChatTemplate t, const std::vector<Message>& turns,
                                   bool add_generation_prompt) {
  size_t first = 0;
  if (!turns.empty() && !is_human(turns[0].from)) first = 1;
  for (size_t i = first; i < turns.size(); ++i) {
    const bool want_human = (i - first) % 2 == 0;
    const std::string& from = turns[i].from;
    if (!is_human(from) && !is_assistant(from)) {
      throw Error("conversation turn " + std::to_string(i) + ": unknown speaker '" + from +
                  "' (expected human/user or gpt/assistant)");
    }
    if (want_human != is_human(from)) {
      throw Error("conversation turn " + std::to_string(i) + ": expected a " +
                  (want_human ? "human" : "assistant") + " turn, got '" + from + "'");
    }
  }
  if (first >= turns.size()) throw Error("conversation has no human turn");
  if (add_generation_prompt && !is_human(turns.back().from)) {
    throw Error("conversation must end with a human turn to generate a reply");
  }
  RenderedPrompt out;
  std::string& s = out.text;
  if (t == ChatTemplate::kVicunaV1) s = std::string(kVicunaSystem) + " ";
  for (size_t i = first; i < turns.size(); ++i) {
    const std::string& value = turns[i].value;
    if (t == ChatTemplate::kVicunaV1) {
      if (is_human(turns[i].from)) {
        s += "USER: " + value + " ";
      } else {
        s += "ASSISTANT:";
        const size_t begin = s.size();
        s += " " + value + "</s>";
        out.replies.emplace_back(begin, s.size());
      }
    } else if (is_human(turns[i].from)) {
      s += value.find("<image>") != std::string::npos ? "<image>" : value;
    } else {
      const size_t begin = s.size();
      s += value + "\n";
      out.replies.emplace_back(begin, s.size());
    }
  }
  if (add_generation_prompt && t == ChatTemplate::kVicunaV1) s += "ASSISTANT:";
  return out;
}

TokenizedConversation tokenize_conversation(const TextTokenizer& tokenizer, ChatTemplate t,
                                            const std::vector<Message>& turns,
                                            const std::string& label) {
  const RenderedPrompt rendered = render_conversation(t, turns);
  TokenizedConversation out;
  out.prompt = rendered.text;
  out.input_ids = tokenizer.encode(rendered.text);
  out.labels.assign(out.input_ids.size(), kIgnoreIndex);
  // Length of the prefix tokenization, or -1 when it is not a prefix of the whole one.
  auto prefix_tokens = [&](size_t chars) -> int64_t {
    const auto ids = tokenizer.encode(rendered.text.substr(0, chars));
    if (ids.size() > out.input_ids.size() ||
        !std::equal(ids.begin(), ids.end(), out.input_ids.begin()))
      return -1;
    return static_cast<int64_t>(ids.size());
  };
  for (const auto& [begin, end] : rendered.replies) {
    const int64_t a = prefix_tokens(begin), b = prefix_tokens(end);
    if (a < 0 || b < 0 || b <= a) {
      out.mismatch = true;
      break;
    }
    for (int64_t i = a; i < b; ++i)
      out.labels[static_cast<size_t>(i)] = out.input_ids[static_cast<size_t>(i)];
  }
  if (out.mismatch) {
    std::fill(out.labels.begin(), out.labels.end(), kIgnoreIndex);
    spdlog::warn(
        "tokenization mismatch{}{}: a reply does not start or end on a token boundary; "
        "the sample is ignored (all labels masked)",
        label.empty() ? "" : " in ", label);
  }
  for (auto& l : out.labels) {
    if (l == kImageTokenId) l = kIgnoreIndex;
  }
  return out;
}

}  // namespace setok::llm
