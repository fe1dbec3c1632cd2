#pragma once
// Small LLM building blocks for tests: a tiny GQA LLaMA config and a SentencePiece model
// trained on chat-like sentences of the synthetic world.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "setok/io/fs.h"
#include "setok/llm/chat_template.h"
#include "setok/llm/llama_config.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/text/sentencepiece.h"
#include "temp_dir.h"

namespace setok::test {

inline llm::LlamaConfig tiny_llama(int64_t vocab = 96) {
  llm::LlamaConfig c;
  c.vocab_size = vocab;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 256;
  c.initializer_range = 0.2;  // large enough that outputs depend visibly on the input
  return c;
}

// Trains `<dir>/spm/tokenizer.model` (LLaMA ids: unk 0, bos 1, eos 2; byte fallback, so "\n"
// and unseen characters round-trip as LLaMA's tokenizer does).
inline std::filesystem::path train_chat_spm(const std::filesystem::path& dir) {
  std::string text = std::string(llm::kVicunaSystem) + "\n";
  const char* colours[] = {"red", "green", "blue", "yellow"};
  const char* shapes[] = {"circle", "square", "triangle", "star"};
  for (const char* c : colours) {
    for (const char* s : shapes) {
      text += std::string("USER: What colour is the ") + s + "? ASSISTANT: It is " + c + ".\n";
      text += std::string("USER: How many ") + s + "s are there? ASSISTANT: There are two " + c +
              " " + s + "s.\n";
      text += std::string("a large ") + c + " " + s + " on the left\n";
    }
  }
  io::write_file_atomic(dir / "chat.txt", text);
  text::SpmTrainOptions o;
  o.vocab_size = 400;
  o.byte_fallback = true;
  return text::train_sentencepiece(dir / "chat.txt", dir / "spm", o);
}

// A BPE model whose pieces span spaces and punctuation, trained so that "ASSISTANT: OK." is one
// piece: the reply does not start on a token boundary (a template-masking mismatch).
inline std::filesystem::path train_cross_boundary_spm(const std::filesystem::path& dir) {
  std::string text;
  for (const char* c : {"red", "green", "blue", "yellow"}) {
    for (const char* s : {"circle", "square", "triangle", "star"}) {
      text += std::string("USER: Is the ") + s + " " + c + "? ASSISTANT: OK.\n";
    }
  }
  io::write_file_atomic(dir / "ok.txt", text);
  text::SpmTrainOptions o;
  o.vocab_size = 100;
  o.model_type = "bpe";
  o.split_by_whitespace = false;
  o.split_by_unicode_script = false;
  return text::train_sentencepiece(dir / "ok.txt", dir / "spm_ok", o);
}

// A test suite sharing one chat tokenizer (training it takes a moment): derive and use tok().
class ChatTokenizerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir() = std::make_unique<TempDir>();
    tokenizer() = std::make_unique<llm::TextTokenizer>(train_chat_spm(dir()->path()));
  }
  static void TearDownTestSuite() {
    tokenizer().reset();
    dir().reset();
  }
  static const llm::TextTokenizer& tok() { return *tokenizer(); }

 private:
  static std::unique_ptr<TempDir>& dir() {
    static std::unique_ptr<TempDir> d;
    return d;
  }
  static std::unique_ptr<llm::TextTokenizer>& tokenizer() {
    static std::unique_ptr<llm::TextTokenizer> t;
    return t;
  }
};

}  // namespace setok::test
