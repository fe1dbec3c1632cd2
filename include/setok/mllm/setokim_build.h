#pragma once
// Assembling Setokim: the `model` section of a Setokim config (stages 2 and 3), the module it
// describes, and a trained run loaded for use. Training (train/setokim_recipe), export and every
// inference command build the model here.
#include <cstdint>
#include <filesystem>
#include <string>

#include "setok/config/schema.h"
#include "setok/detokenizer/detokenizer_config.h"
#include "setok/llm/llm_config.h"
#include "setok/mllm/setokim.h"
#include "setok/mllm/setokim_config.h"
#include "setok/mllm/setokim_model.h"
#include "setok/tokenizer/tokenizer_config.h"
#include "setok/vision/vision_config.h"

namespace setok::mllm {

// `model`: the SeTok sections describe the stage-1 model whose weights `setok_checkpoint` holds
// (copied from the stage-1 config), so a config carries its whole architecture: a dry run needs
// no files.
struct SetokimModelSection : config::Section {
  std::string setok_checkpoint;  // stage-1 run / step folder (empty: random SeTok, tests only)
  vision::VisionConfig vision;
  tokenizer::TokenizerConfig tokenizer;
  detokenizer::DetokenizerConfig detokenizer;
  llm::LlmConfig llm;
  ProjectorsConfig projectors;
  DiffusionHeadConfig diffusion;
  std::string image_span = "mar";  // how output images are trained and drawn: mar | ar
  // The model's options but the LLM's: SeTok's token width and the tower's patch count given.
  SetokimModelOptions options(int64_t token_dim, int64_t patches) const;
  void describe(config::Schema& s) override;
  void check_files(const std::string& path) const override;
};

// How a run's module starts beyond its model section (the run config's `train` keys).
struct SetokimStart {
  std::string init_from;  // a stage-2 run / step folder (or mm_projector.safetensors) whose
                          // trained weights start the run; empty: none
  bool lora = false;      // LoRA adapters on the LLM (model.llm.lora's adapter, else fresh)
};

// The module a Setokim config describes: SeTok and the detokenizer from the stage-1 checkpoint
// (frozen), the LLM (pretrained or random), the weights of `start.init_from` (SeTok fingerprints
// checked), and the LoRA adapters when the run uses them.
Setokim build_setokim(const SetokimModelSection& model, const SetokimStart& start);

// A trained run for use: the module its config builds (build_setokim, every parameter frozen)
// with the trained weights of `checkpoint` (a run or step folder) loaded; the checkpoint's
// frozen-base fingerprint must match what the config builds (use the run's own
// config.resolved.json).
Setokim load_setokim_run(const SetokimModelSection& model, const SetokimStart& start,
                         const std::filesystem::path& checkpoint);

}  // namespace setok::mllm
