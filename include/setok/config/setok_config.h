#pragma once
// The root config of SeTok runs (stage 1 training, tokenizer inference, benchmarks):
//   { "runtime", "log", "model": { "vision", "tokenizer", "detokenizer", "text", "llm" }, "data",
//     "train" }
// (`dist` is added with multi-process training.)
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/detokenizer/detokenizer_config.h"
#include "setok/llm/llm_config.h"
#include "setok/tokenizer/setok_model.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/train/train_config.h"
#include "setok/vision/text_config.h"
#include "setok/vision/vision_config.h"

namespace setok::config {

struct SetokModelConfig : Section {
  vision::VisionConfig vision;
  tokenizer::TokenizerConfig tokenizer;
  detokenizer::DetokenizerConfig detokenizer;
  vision::TextConfig text;
  llm::LlmConfig llm;
  void describe(Schema& s) override {
    s.section("vision", vision, "SigLIP vision tower and image preprocessing");
    s.section("tokenizer", tokenizer, "DPC-KNN clustering and token merger");
    s.section("detokenizer", detokenizer, "Q-Former mapper, pixel decoder and output head");
    s.section("text", text, "text tower and tokenizer for concept phrases");
    s.section("llm", llm, "LLaMA backbone, text tokenizer, chat template, LoRA (Setokim)");
  }
  tokenizer::SetokModelOptions options() const { return {vision, tokenizer, detokenizer, text}; }
};

struct SetokConfig : Section {
  RuntimeConfig runtime;
  LogConfig log;
  SetokModelConfig model;
  train::DataConfig data;
  train::TrainConfig train;
  void describe(Schema& s) override {
    s.section("runtime", runtime, "device, threads, seed");
    s.section("log", log, "logging");
    s.section("model", model, "the SeTok model");
    s.section("data", data, "datasets and loader");
    s.section("train", train, "optimisation, checkpoints, evaluation, losses");
  }
};

}  // namespace setok::config
