#pragma once
// `model` of a stage-1 (SeTok) run: the tower, the tokenizer, the detokenizer and the text tower
// of the concept loss. Stage-1 training builds its model from it; the tokenizer's inference and
// the SeTok round trip read it from a run's resolved config.
#include "setok/config/schema.h"
#include "setok/detokenizer/detokenizer_config.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/vision/text_config.h"
#include "setok/vision/vision_config.h"

namespace setok::mllm {

struct SetokModelSection : config::Section {
  vision::VisionConfig vision;
  tokenizer::TokenizerConfig tokenizer;
  detokenizer::DetokenizerConfig detokenizer;
  vision::TextConfig text;
  void describe(config::Schema& s) override {
    s.section("vision", vision, "SigLIP vision tower and image preprocessing");
    s.section("tokenizer", tokenizer, "DPC-KNN clustering and token merger");
    s.section("detokenizer", detokenizer, "Q-Former mapper, pixel decoder and output head");
    s.section("text", text, "text tower and tokenizer for concept phrases");
  }
};

}  // namespace setok::mllm
