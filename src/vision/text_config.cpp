#include "setok/vision/text_config.h"

#include <filesystem>

#include "setok/runtime/error.h"

namespace setok::vision {

void TextConfig::describe(config::Schema& s) {
  s.field("tokenizer", tokenizer, "SentencePiece model for phrases (empty = no text tower)");
  s.field("pretrained", pretrained, "HF SigLIP folder with a text tower (empty = random init)");
  s.field("max_length", max_length, "tokens per phrase (SigLIP: 64)");
  s.field("hidden_size", hidden_size, "width (random init only)");
  s.field("intermediate_size", intermediate_size, "MLP width (random init only)");
  s.field("layers", layers, "layers (random init only)");
  s.field("heads", heads, "attention heads (random init only)");
  s.field("trainable", trainable, "train the text tower");
}

void TextConfig::validate(const std::string& path) const {
  auto at = [&](const char* k) { return config::join(path, k); };
  if (max_length < 2) config::fail(at("max_length"), "must be >= 2");
  if (hidden_size < 1 || heads < 1 || hidden_size % heads != 0)
    config::fail(at("heads"), "must divide hidden_size");
}

void TextConfig::check_files(const std::string& path) const {
  if (!tokenizer.empty() && !std::filesystem::is_regular_file(tokenizer)) {
    config::fail(config::join(path, "tokenizer"), "'" + tokenizer + "' is not a file");
  }
  if (!pretrained.empty() && !std::filesystem::is_directory(pretrained)) {
    config::fail(config::join(path, "pretrained"), "'" + pretrained + "' is not a folder");
  }
}

SiglipTextConfig TextConfig::architecture(int64_t vocab_size) const {
  if (!pretrained.empty()) {
    const SiglipConfig c = read_siglip_config(std::filesystem::path(pretrained) / "config.json");
    if (!c.has_text) throw Error(pretrained + "/config.json: has no text tower");
    return c.text;
  }
  SiglipTextConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = hidden_size;
  c.intermediate_size = intermediate_size;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.max_position_embeddings = max_length;
  c.projection_size = hidden_size;
  return c;
}

}  // namespace setok::vision
