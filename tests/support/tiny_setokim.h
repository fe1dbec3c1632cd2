#pragma once
// A random tiny Setokim for inference tests: the tiny finetune config's shapes, smaller still,
// over the scene world's SentencePiece model (random SeTok, random LLM).
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "scene_world.h"
#include "setok/config/config.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/mllm/setokim_build.h"
#include "setok/train/setokim_config.h"

namespace setok::test {

struct TinySetokim {
  mllm::Setokim setokim{nullptr};
  std::unique_ptr<llm::TextTokenizer> text;
};

// `extra`: more config overrides. With `distinct_specials`, the three special output rows are
// random, so <target> and <im_end> compete (they start equal: the mean of the LLM's rows).
inline TinySetokim tiny_setokim(const std::vector<std::string>& extra = {},
                                bool distinct_specials = false) {
  const auto w = scene_world();
  std::vector<std::string> sets = {
      "model.setok_checkpoint=",  "model.llm.tokenizer=" + (w / "spm" / "tokenizer.model").string(),
      "model.llm.hidden_size=32", "model.llm.intermediate_size=64",
      "model.llm.layers=2",       "model.diffusion.width=32",
      "model.diffusion.depth=1",  "train.init_from=",
      "runtime.threads=1"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  train::SetokimConfig cfg;
  config::load(cfg, SETOK_SOURCE_DIR "/configs/setokim_tiny_finetune.json", sets);
  cfg.runtime.apply();
  TinySetokim t;
  t.setokim = mllm::build_setokim(cfg.model, cfg.start());
  t.setokim->eval();
  if (distinct_specials) {
    at::NoGradGuard no_grad;
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(17);
    t.setokim->model->special_head.copy_(at::randn(t.setokim->model->special_head.sizes(), g));
  }
  t.text = std::make_unique<llm::TextTokenizer>(w / "spm" / "tokenizer.model");
  return t;
}

}  // namespace setok::test
