#pragma once
// The root config of stage-1 runs (training, and the tokenizer's inference and benchmark, which
// read the same files):
//   { "runtime", "log", "model": { "vision", "tokenizer", "detokenizer", "text" }, "data",
//     "train" }
// (`dist` is added with multi-process training.) It composes the sections of the areas stage 1
// uses; config/ itself knows no domain.
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/detokenizer/detokenizer_config.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/train/stage1_model.h"
#include "setok/train/train_config.h"
#include "setok/vision/text_config.h"
#include "setok/vision/vision_config.h"

namespace setok::train {

struct Stage1ModelConfig : config::Section {
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
  Stage1ModelOptions options() const { return {vision, tokenizer, detokenizer, text}; }
};

struct Stage1Config : config::Section {
  config::RuntimeConfig runtime;
  config::LogConfig log;
  Stage1ModelConfig model;
  DataConfig data;
  TrainConfig train;
  void describe(config::Schema& s) override {
    s.section("runtime", runtime, "device, threads, seed");
    s.section("log", log, "logging");
    s.section("model", model, "the SeTok model");
    s.section("data", data, "datasets and loader");
    s.section("train", train, "optimisation, checkpoints, evaluation, losses");
  }
};

}  // namespace setok::train
