#pragma once
// Stage 1: train the SeTok tokenizer and detokenizer on image(-text) pairs (DESIGN §5.8).
// Trains the merger, detokenizer, contrastive projections and temperature (plus the vision and
// text towers when they are trainable); losses: reconstruction (pixel L1/L2 or the diffusion
// head's loss), concept contrastive, image-caption InfoNCE, LPIPS, PatchGAN — each weighted by
// train.loss and logged on its own. Evaluation on every held-out set, reported under its name
// (docs/training.md): loss terms, PSNR, tokens per image against objects per image, ARI and
// foreground ARI of the clusters against instance masks, phrase grounding and retrieval with
// their chance levels. Evaluation and sample sheets run on their own random streams.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "setok/data/datasets.h"
#include "setok/data/sampler.h"
#include "setok/losses/lpips.h"
#include "setok/losses/patch_gan.h"
#include "setok/train/stage1_config.h"
#include "setok/train/stage1_model.h"
#include "setok/train/trainer.h"

namespace setok::train {

// A pair dataset of any stage-1 type (pair, imagenet, coco_panoptic) from its data entry.
data::PairDataset load_stage1_dataset(const DatasetEntry& entry, bool skip_bad,
                                      const std::string& path);

class Stage1Recipe : public Recipe {
 public:
  // Builds the model and loads the datasets (errors name the config path or file).
  Stage1Recipe(const Stage1Config& config, const c10::Device& device);

  torch::nn::Module& model() override { return *model_; }
  // "model" (every trainable parameter of the SeTok model) and, with train.loss.gan > 0,
  // "discriminator" (PatchGAN, AdamW betas 0.5 / 0.9, from disc_start).
  std::vector<OptimizerSpec> optimizers() override;
  std::string base_source() const override;
  void begin_epoch(int64_t epoch) override;
  int64_t epoch_size() const override { return static_cast<int64_t>(items_.size()); }
  data::Example fetch(int64_t item) override;
  StepResult step(const data::Batch& batch, const StepContext& context) override;
  io::Json evaluate(int64_t step) override;
  void write_sample(const data::Batch& batch, const std::filesystem::path& png) override;
  io::NamedTensors extra_state() override;
  void load_extra_state(const io::TensorStore& store) override;
  std::vector<std::pair<std::string, at::Generator>> generators() override;
  // Contrastive negatives gathered from every rank; losses normalised over the global batch.
  void set_group(std::shared_ptr<dist::ProcessGroup> group) override;
  bool recomputes_activations() const override { return cfg_.train.activation_checkpointing; }

  Stage1Model& setok() { return model_; }

  // Human-readable comparison of two evaluations (before / after training), per eval set.
  static std::string summary(const io::Json& first, const io::Json& last);

 private:
  struct Losses {
    at::Tensor total;
    std::map<std::string, double> metrics;
    at::Tensor prediction;  // pixel head output (undefined for the diffusion head)
    tokenizer::SetokTokens tokens;
  };
  struct Phrases {
    at::Tensor embeddings;  // [B, P, text width] (undefined when the batch has no phrase)
    at::Tensor mask;        // [B, P] bool
    at::Tensor ids;         // [B, P] int64 text identities
  };
  // `gather`: the training step's (distributed runs); evaluation uses the local batch.
  Losses compute(const data::Batch& batch, bool with_gan, int64_t step,
                 const losses::Gather& gather = {});
  data::Example example(const data::PairDataset& ds, size_t i) const;
  Phrases phrases(const data::Batch& batch);
  io::Json evaluate_set(const data::PairDataset& ds, bool scenes, int64_t step);
  // The generators evaluation and sample sheets reseed for themselves (runtime::GeneratorScope).
  std::vector<at::Generator> side_generators();

  Stage1Config cfg_;
  c10::Device device_;
  Stage1Model model_{nullptr};
  vision::ImagePreprocess vision_pre_, target_pre_;
  int64_t patch_size_ = 0;  // the tower's, for content masks and label maps
  std::vector<data::PairDataset> train_sets_, eval_sets_;
  std::vector<std::string> eval_names_;
  std::vector<data::MixtureItem> items_;
  at::Generator diffusion_gen_;
  losses::Lpips lpips_{nullptr};
  losses::PatchDiscriminator disc_{nullptr};
  // The generator pass's predictions of the current step, one per micro-batch (detached), for
  // the discriminator's pass.
  std::vector<at::Tensor> predictions_;
  std::shared_ptr<dist::ProcessGroup> group_;
  losses::Gather gather_;
};

}  // namespace setok::train
