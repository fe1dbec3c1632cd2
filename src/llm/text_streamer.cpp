#include "setok/llm/text_streamer.h"

#include <algorithm>

#include "setok/llm/generation.h"
#include "setok/llm/text_tokenizer.h"

namespace setok::llm {

namespace {

// Length of `text` without a trailing incomplete UTF-8 sequence or U+FFFD replacement.
size_t complete_utf8(const std::string& text) {
  size_t n = text.size();
  if (n >= 3 && text.compare(n - 3, 3, "\xEF\xBF\xBD") == 0) return n - 3;
  size_t i = n;
  int back = 0;
  while (i > 0 && back < 4 && (static_cast<unsigned char>(text[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++back;
  }
  if (i == 0) return n;
  const auto lead = static_cast<unsigned char>(text[i - 1]);
  int want = 1;
  if ((lead & 0xE0) == 0xC0)
    want = 2;
  else if ((lead & 0xF0) == 0xE0)
    want = 3;
  else if ((lead & 0xF8) == 0xF0)
    want = 4;
  return (lead & 0x80) != 0 && back + 1 < want ? i - 1 : n;
}

}  // namespace

TextStreamer::TextStreamer(const TextTokenizer& tokenizer, std::vector<std::string> stop)
    : tokenizer_(tokenizer), stop_(std::move(stop)) {}

std::string TextStreamer::settled(bool final) {
  std::string text = tokenizer_.decode(tokens_);
  const size_t cut = find_stop(text, stop_);
  if (cut != std::string::npos) {
    stopped_ = true;  // nothing after a stop string is ever released
    return text.substr(0, cut);
  }
  if (final) return text;
  const size_t complete = complete_utf8(text);
  // Hold back the longest tail that is a proper prefix of a stop string.
  size_t hold = 0;
  for (const auto& s : stop_) {
    if (s.empty()) continue;
    for (size_t len = std::min(s.size() - 1, complete); len > hold; --len) {
      if (text.compare(complete - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  const size_t keep = complete - hold;
  return text.substr(0, keep);
}

std::string TextStreamer::take(const std::string& text) {
  // Decoding more tokens can, rarely, rewrite earlier characters; release only extensions of
  // what was already released.
  if (text.size() <= released_.size() || text.compare(0, released_.size(), released_) != 0)
    return {};
  std::string fresh = text.substr(released_.size());
  released_ = text;
  return fresh;
}

std::string TextStreamer::push(int64_t token) {
  if (stopped_) return {};
  tokens_.push_back(token);
  return take(settled(false));
}

std::string TextStreamer::finish() {
  return take(settled(true));
}

}  // namespace setok::llm
