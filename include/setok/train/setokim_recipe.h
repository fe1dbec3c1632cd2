#pragma once
// Stages 2 and 3: Setokim on the engine (DESIGN §5.10, docs/setokim.md). The frozen SeTok
// tokenizer turns each image into tokens on the training thread; conversations become sequences
// (mllm/sequence) whose input images are projected tokens and whose output images are <target>
// slots, MAR-masked; the losses are the text cross-entropy and the diffusion loss on hidden
// slots. Tasks: captioning and text-to-image generation from pair data, instruction
// conversations, editing (source image in, target image out). Trainable sets: projectors (+
// special rows + head; stage 2), full, or LoRA + projectors + head (stage 3).
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/data/datasets.h"
#include "setok/data/sampler.h"
#include "setok/detokenizer/setok_detokenizer.h"
#include "setok/llm/chat_template.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/mllm/setokim.h"
#include "setok/mllm/setokim_model.h"
#include "setok/tokenizer/setok_tokenizer.h"
#include "setok/train/setokim_config.h"
#include "setok/train/trainer.h"

namespace setok::train {

class SetokimRecipe : public Recipe {
 public:
  SetokimRecipe(const SetokimConfig& config, const c10::Device& device);

  torch::nn::Module& model() override { return *setokim_; }
  std::vector<OptimizerSpec> optimizers() override;
  std::string base_source() const override;
  void begin_epoch(int64_t epoch) override;
  int64_t epoch_size() const override { return static_cast<int64_t>(items_.size()); }
  data::Example fetch(int64_t item) override;
  std::string throughput_unit() const override { return "tokens"; }
  StepResult step(const data::Batch& batch, const StepContext& context) override;
  io::Json evaluate(int64_t step) override;
  std::vector<std::pair<std::string, at::Generator>> generators() override;
  // Data-parallel runs: the text and diffusion losses are normalised by the counts over every
  // rank (text tokens, hidden slots), so the averaged gradient is the one-process gradient.
  void set_group(std::shared_ptr<dist::ProcessGroup> group) override { group_ = std::move(group); }
  bool recomputes_activations() const override {
    return cfg_.train.activation_checkpointing || cfg_.model.llm.gradient_checkpointing;
  }
  // One line per evaluation set and loss term (text, diffusion): first -> last.
  static std::string summary(const io::Json& first, const io::Json& last);

  mllm::Setokim& setokim() { return setokim_; }
  const llm::TextTokenizer& text_tokenizer() const { return *text_; }
  // Counts of the trainable set (for logs and --dry-run).
  int64_t trainable_parameters() const;

 private:
  // One training sample before tokenization.
  struct Sample {
    std::vector<llm::Message> turns;
    std::vector<std::filesystem::path> images;  // in order of appearance
  };
  // A dataset as the mixture sees it: a pair dataset appears once per task.
  struct Source {
    data::DatasetKind kind;
    size_t dataset;
    std::string task;  // pair: caption | generation
  };
  struct Datasets {
    std::vector<data::PairDataset> pairs;
    std::vector<data::InstructDataset> instructs;
    std::vector<data::EditDataset> edits;
    std::vector<Source> sources;
    std::vector<double> multiples;
    int64_t size(const Source& s) const;
  };
  Datasets load(const std::vector<DatasetEntry>& entries, bool train);
  // train: prompt dropout for classifier-free guidance applies (never in evaluation).
  Sample sample(const Datasets& d, const Source& s, int64_t index, uint64_t sample_id,
                bool train) const;
  data::Example example(const Datasets& d, const Source& s, int64_t index, uint64_t sample_id,
                        bool train) const;
  struct Forward {
    mllm::SetokimLosses losses;
    int64_t tokens = 0, skipped = 0, images = 0;
    double tokens_per_image = 0;
  };
  Forward forward(const data::Batch& batch, uint64_t mask_seed);
  void set_trainable();
  // Fits the model's token norm on the SeTok tokens of the first training images (epoch 0's
  // order, the tie-noise seeds training uses) unless the model holds a fitted one (init_from).
  void fit_token_norm();

  SetokimConfig cfg_;
  c10::Device device_;
  mllm::Setokim setokim_{nullptr};
  std::shared_ptr<llm::TextTokenizer> text_;
  llm::ChatTemplate template_;
  mllm::ImageSpan span_;
  vision::ImagePreprocess pre_;
  Datasets train_, eval_;
  std::vector<std::string> eval_names_;
  std::vector<data::MixtureItem> items_;
  int64_t epoch_ = 0;
  std::shared_ptr<dist::ProcessGroup> group_;
};

}  // namespace setok::train
