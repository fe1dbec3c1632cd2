#pragma once
// The root config of LLM-only runs (`setok_bench llm`, configs/llm_*.json):
//   { "runtime", "log", "model": { "llm" } }
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/llm/llm_config.h"

namespace setok::llm {

struct LlmModelSection : config::Section {
  LlmConfig llm;
  void describe(config::Schema& s) override {
    s.section("llm", llm, "LLaMA backbone, text tokenizer, chat template, LoRA");
  }
};

struct LlmRunConfig : config::Section {
  config::RuntimeConfig runtime;
  config::LogConfig log;
  LlmModelSection model;
  void describe(config::Schema& s) override {
    s.section("runtime", runtime, "device, threads, seed");
    s.section("log", log, "logging");
    s.section("model", model, "the language model");
  }
};

}  // namespace setok::llm
