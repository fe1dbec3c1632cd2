#pragma once
// Turns a stream of generated tokens into printable text as it arrives: decodes the tokens so
// far and releases only what can no longer change — an incomplete UTF-8 character (byte-fallback
// pieces) and a tail that could be the start of a stop string are held back, and nothing from a
// stop string on is ever released.
#include <string>
#include <vector>

namespace setok::llm {

class TextTokenizer;

class TextStreamer {
 public:
  TextStreamer(const TextTokenizer& tokenizer, std::vector<std::string> stop = {});
  // The text that became final with `token` (often empty).
  std::string push(int64_t token);
  // Whatever is left at the end of generation (cut before a stop string).
  std::string finish();
  const std::string& released() const { return released_; }

 private:
  // The releasable prefix of the decoded text; marks the stream stopped at a stop string.
  std::string settled(bool final);
  std::string take(const std::string& text);

  const TextTokenizer& tokenizer_;
  std::vector<std::string> stop_;
  std::vector<int64_t> tokens_;
  std::string released_;
  bool stopped_ = false;
};

}  // namespace setok::llm
