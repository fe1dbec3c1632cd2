#include "setok/train/stage1_model.h"

#include <ATen/ATen.h>

#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"

namespace setok::train {

Stage1ModelImpl::Stage1ModelImpl(const Stage1ModelOptions& o) {
  tokenizer = register_module("tokenizer", tokenizer::SetokTokenizer(o.vision, o.tokenizer));
  detokenizer = register_module(
      "detokenizer", detokenizer::SetokDetokenizer(o.detokenizer, tokenizer->token_dim()));
  if (!o.text.enabled()) return;
  text_tokenizer_ = std::make_shared<vision::SiglipTextTokenizer>(
      text::SentencePiece(o.text.tokenizer), o.text.max_length);
  const vision::SiglipTextConfig arch = o.text.architecture(text_tokenizer_->vocab_size());
  if (arch.vocab_size < text_tokenizer_->vocab_size()) {
    throw Error("model.text: the tokenizer has " + std::to_string(text_tokenizer_->vocab_size()) +
                " pieces but the text tower only " + std::to_string(arch.vocab_size));
  }
  if (arch.max_position_embeddings < o.text.max_length) {
    throw Error("model.text.max_length: " + std::to_string(o.text.max_length) +
                " exceeds the text tower's " + std::to_string(arch.max_position_embeddings) +
                " positions");
  }
  text_tower = register_module("text_tower", vision::SiglipTextModel(arch));
  if (!o.text.pretrained.empty()) {
    io::LoadOptions lo;
    lo.name_map.prefix("text_model.", "").ignore(R"((vision_model\..*|logit_(scale|bias)))");
    io::load_state(*text_tower, io::TensorStore::open(o.text.pretrained), lo);
  }
  if (!o.text.trainable) {
    for (auto& p : text_tower->parameters()) p.requires_grad_(false);
  }
  losses::ConceptContrastiveOptions c;
  c.token_dim = tokenizer->token_dim();
  c.text_dim = arch.projection();
  contrastive = register_module("contrastive", losses::ConceptContrastive(c));
}

at::Tensor Stage1ModelImpl::embed_texts(const std::vector<std::string>& texts,
                                        const c10::Device& device) {
  if (!has_text()) throw Error("model.text.tokenizer is not set: there is no text tower");
  const at::Tensor ids = text_tokenizer_->encode(texts).to(device);  // [N, T]
  return text_tower->forward(ids).pooler_output;                     // [N, P]
}

}  // namespace setok::train
