#pragma once
// The root config of SeTok runs (stage 1 training, tokenizer inference, benchmarks):
//   { "runtime": {...}, "log": {...}, "model": { "vision": {...}, "tokenizer": {...} } }
// Sections are added here as components land (detokenizer, data, train, dist).
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/vision/vision_config.h"

namespace setok::config {

struct SetokModelConfig : Section {
  vision::VisionConfig vision;
  tokenizer::TokenizerConfig tokenizer;
  void describe(Schema& s) override {
    s.section("vision", vision, "SigLIP vision tower and image preprocessing");
    s.section("tokenizer", tokenizer, "DPC-KNN clustering and token merger");
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
