#pragma once
// The root config of SeTok runs (stage 1 training, tokenizer inference, benchmarks):
//   { "runtime": {...}, "log": {...},
//     "model": { "vision": {...}, "tokenizer": {...}, "detokenizer": {...} } }
// Sections are added here as components land (data, train, dist).
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/detokenizer/detokenizer_config.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/vision/vision_config.h"

namespace setok::config {

struct SetokModelConfig : Section {
  vision::VisionConfig vision;
  tokenizer::TokenizerConfig tokenizer;
  detokenizer::DetokenizerConfig detokenizer;
  void describe(Schema& s) override {
    s.section("vision", vision, "SigLIP vision tower and image preprocessing");
    s.section("tokenizer", tokenizer, "DPC-KNN clustering and token merger");
    s.section("detokenizer", detokenizer, "Q-Former mapper, pixel decoder and output head");
  }
};

struct SetokConfig : Section {
  RuntimeConfig runtime;
  LogConfig log;
  SetokModelConfig model;
  void describe(Schema& s) override {
    s.section("runtime", runtime, "device, threads, seed");
    s.section("log", log, "logging");
    s.section("model", model, "the SeTok model");
  }
};

}  // namespace setok::config
