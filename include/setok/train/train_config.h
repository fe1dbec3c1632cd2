#pragma once
// Config sections `data` and `train` of the training engine, shared by the stages; each stage
// extends them with its own keys (stage 1: train/stage1_config.h).
#include <string>
#include <vector>

#include "setok/config/schema.h"
#include "setok/data/readers.h"

namespace setok::train {

struct DatasetEntry : config::Section {
  std::string type = "pair";  // a reader of data/readers.h: pair | instruct | edit | imagenet | ...
  std::string name;           // reported under this name (empty = the file's stem)
  std::string path;           // JSON file (coco_panoptic: the panoptic annotations)
  std::string image_root;     // folder image paths are relative to (empty = the JSON's folder)
  double multiple = 1.0;      // times per epoch (fractions take a per-epoch subset)
  std::string annotations;    // coco_panoptic: the captions JSON (optional); vqav2/okvqa: answers
  std::string answer_style = "short";  // VQA types: short | plain | multiple_choice (aokvqa)
  std::string masks;    // coco_panoptic: the panoptic PNG folder (empty = COCO's layout)
  std::string classes;  // imagenet: class list (LOC_synset_mapping.txt or one per line)
  std::string caption_template = "{}";  // imagenet: a class's caption, {} = its name
  bool scenes = false;  // the images are the demo world's scenes (read back by data/scene_reading)

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
  void check_files(const std::string& path) const override;
  // `name`, or the stem of `path`.
  std::string display_name() const;
  // What data::read_dataset needs to read this entry.
  data::ReadOptions read_options(bool skip_bad) const;
};

struct DataConfig : config::Section {
  std::vector<DatasetEntry> train;
  std::vector<DatasetEntry> eval;  // held-out sets for evaluation
  int workers = 2;
  int64_t prefetch_batches = 4;
  bool shuffle = true;
  bool skip_bad_samples = false;

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
};

struct TrainConfig : config::Section {
  std::string run_dir = "runs/setok";
  int64_t steps = 1000;    // optimizer steps
  int64_t batch_size = 8;  // per rank and micro-batch
  int64_t grad_accum = 1;
  double lr = 2e-4;
  double min_lr = 2e-5;
  int64_t warmup_steps = 100;
  std::string schedule = "cosine";
  double weight_decay = 0.05;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double grad_clip = 1.0;                 // global norm; 0 = off
  std::string precision = "fp32";         // fp32 | bf16 (autocast on CUDA)
  bool activation_checkpointing = false;  // recompute transformer blocks in backward
  double ema_decay = 0.0;                 // EMA of the trainable weights; 0 = off
  bool ema_eval = true;                   // evaluate (and write samples) with the EMA weights
  int64_t checkpoint_every = 500;
  int keep_last = 2;
  int64_t eval_every = 0;    // 0 = only before training and at the end
  int64_t eval_batches = 0;  // 0 = the whole held-out set
  int64_t sample_every = 0;  // PNG sheets (input | reconstruction | clusters); 0 = off

  void describe(config::Schema& s) override;
  void validate(const std::string& path) const override;
};

}  // namespace setok::train
