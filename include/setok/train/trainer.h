#pragma once
// The training engine shared by every stage (DESIGN §5.12). A stage is a Recipe: which model,
// which parameters train, how a batch becomes losses, what evaluation means. The engine owns
// everything else: data order and sharding, the loader, AdamW with groups, the schedule,
// accumulation, clipping, bf16 autocast on CUDA, checkpoints with exact resume, keep-last-K,
// progress, metrics.jsonl, PNG sheets and evaluation.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>

#include "setok/data/loader.h"
#include "setok/dist/ddp_reducer.h"
#include "setok/dist/process_group.h"
#include "setok/io/json.h"
#include "setok/io/safetensors.h"
#include "setok/io/tensorboard.h"
#include "setok/train/adamw.h"
#include "setok/train/ema.h"
#include "setok/train/optimizer.h"
#include "setok/train/train_config.h"

namespace setok::io {
class TensorStore;
}

namespace setok::train {

struct StepResult {
  at::Tensor loss;                        // scalar to backpropagate (weighted sum of terms)
  std::map<std::string, double> metrics;  // per-step values, averaged over each log interval
  // Throughput units this micro-batch processed (the first optimizer's pass counts); -1 = the
  // batch's examples.
  int64_t units = -1;
};

// Where a micro-step sits: the optimizer step, which of the recipe's optimizers the losses are
// for (index into Recipe::optimizers()), and which micro-batch of the step.
struct StepContext {
  int64_t step = 0;
  size_t optimizer = 0;
  int64_t micro = 0;
  int64_t micro_batches = 1;
};

class Recipe {
 public:
  virtual ~Recipe() = default;
  // Everything in here is saved as model.safetensors (trainable parameters and buffers;
  // frozen parameters are referred to by base_source() and a fingerprint) and restored on
  // resume.
  virtual torch::nn::Module& model() = 0;
  // The optimizers, in update order; the first trains the model. Each step, for each active
  // optimizer in turn, the engine zeroes its gradients, runs every micro-batch's step() for it
  // with backward, then updates it: whatever another optimizer's pass left in its parameters
  // (the generator loss flows through the discriminator) never counts.
  virtual std::vector<OptimizerSpec> optimizers() = 0;
  // Where the model's frozen parameters come from (a folder, "random init", ...), recorded in
  // checkpoints beside their fingerprint.
  virtual std::string base_source() const { return "random init (the run's seed)"; }
  // Data: the epoch's item list is [0, epoch_size()); fetch() is called from loader threads.
  virtual void begin_epoch(int64_t epoch) = 0;
  virtual int64_t epoch_size() const = 0;
  virtual data::Example fetch(int64_t item) = 0;
  // Examples -> a batch (variable-length data overrides it); runs on the training thread.
  virtual data::Batch collate(std::vector<data::Example> examples) {
    return data::collate(std::move(examples));
  }
  // metrics.jsonl reports "<unit>_per_s"; StepResult::units counts them.
  virtual std::string throughput_unit() const { return "images"; }
  // Forward pass and losses of one micro-batch for one optimizer (the engine runs backward).
  virtual StepResult step(const data::Batch& batch, const StepContext& context) = 0;
  // Evaluation metrics (on held-out data); `step` for logging.
  virtual io::Json evaluate(int64_t step) = 0;
  // A PNG sheet for the last batch.
  virtual void write_sample(const data::Batch& batch, const std::filesystem::path& png) {}
  // State beyond the model and optimizers (saved in extra.safetensors).
  virtual io::NamedTensors extra_state() { return {}; }
  virtual void load_extra_state(const io::TensorStore& store) {}
  // Generators whose state must survive a resume (besides torch's default ones).
  virtual std::vector<std::pair<std::string, at::Generator>> generators() { return {}; }
  // Data-parallel runs: the group the losses gather across (contrastive negatives from every
  // rank). Called once before training; one-process runs never call it.
  virtual void set_group(std::shared_ptr<dist::ProcessGroup> group) {}
  // True when blocks are recomputed in the backward pass (activation checkpointing): their
  // parameters are then reached outside the graph the DDP reducer walks, and data-parallel runs
  // average gradients after the backward pass instead.
  virtual bool recomputes_activations() const { return false; }
};

// The batch's global sample indices (int64 per example, in Batch::ints): the position of each
// example in the run's stream of samples, equal whatever the number of processes. Random draws
// that shape a sample are derived from (seed, this index) so that ranks reproduce the
// one-process run.
inline constexpr const char* kSampleIndex = "sample_index";

struct TrainerOptions {
  TrainConfig train;
  DataConfig data;
  int log_every = 10;
  // TensorBoard event files in run_dir/tensorboard (every logged scalar, evaluations and sample
  // sheets) and run_dir/curves.png at the end.
  bool tensorboard = true;
  uint64_t seed = 0;
  c10::Device device = c10::Device(c10::kCPU);
  int rank = 0;
  int world = 1;
  // Data-parallel training (null: one process): rank and world come from it; gradients are
  // averaged over it in buckets of bucket_mb; rank 0 writes checkpoints, logs and metrics.
  std::shared_ptr<dist::ProcessGroup> group;
  double bucket_mb = 25;
  // Average during the backward pass with c10d's DDP reducer where it applies (docs/
  // distributed.md); otherwise, or when off, after it.
  bool overlap = true;
  io::Json resolved_config;  // written to run_dir/config.resolved.json
  // Stop (with a checkpoint) after this many steps in this invocation, e.g. to fit a cluster's
  // time limit; `--resume` continues. 0 = run to train.steps.
  int64_t stop_after = 0;
  // Called with each optimizer's gradients before clipping; set from `group` when there is one.
  GradSync grad_sync;
};

class Trainer {
 public:
  Trainer(Recipe& recipe, TrainerOptions options);

  // Trains to train.steps; with `resume`, continues exactly from the run's latest checkpoint.
  // Returns the final evaluation.
  io::Json fit(bool resume);
  // Loads the latest checkpoint when there is one, evaluates, writes eval.json.
  io::Json evaluate_only();

  int64_t step() const { return step_; }
  const std::filesystem::path& run_dir() const { return run_dir_; }

 private:
  struct Interval;  // what a log interval accumulates
  void save_checkpoint();
  bool load_checkpoint(bool with_optimizers);
  // This rank's cursor from a checkpoint's: its own on the same world size; on another, the
  // epoch's consumed samples re-sharded over the new ranks.
  void restore_position(const io::Json& state, const std::filesystem::path& dir);
  io::Json evaluate_and_record(int64_t step);
  // trainer.json's "base": the frozen weights' source and fingerprints (whole, per part).
  io::Json base_reference();

  data::Batch next_batch();
  // One optimizer's micro-steps over the step's batches: forward, backward into its parameters.
  void micro_steps(size_t k, const std::vector<data::Batch>& batches, Interval& interval);
  void optimizer_steps(const std::vector<data::Batch>& batches, Interval& interval);
  void log_interval(Interval& interval, io::MetricsWriter* metrics);
  // Data-parallel start: the ranks' configs must agree; rank 0's weights go to every rank.
  void join_group();
  // One c10d DDP reducer per optimizer when the backward pass can overlap the all-reduce.
  void make_reducers();
  // Every rank's loss is finite, or every rank stops with an error naming the ranks that are not.
  void check_finite(const std::string& what, double loss);
  // The interval's metrics averaged over the ranks (when every rank logged the same keys).
  void average_over_ranks(std::map<std::string, double>& sums);
  void write_sample_sheet(const data::Batch& last);

  void make_ema();
  void log_scalars(const std::string& prefix, const io::Json& values, int64_t step);
  void write_curves();

  Recipe& recipe_;
  TrainerOptions o_;
  std::unique_ptr<Ema> ema_;                            // train.ema_decay > 0
  std::unique_ptr<io::TensorBoardWriter> tensorboard_;  // rank 0 with options.tensorboard
  std::vector<Optimizer> optimizers_;
  std::vector<std::unique_ptr<dist::DdpReducer>> reducers_;  // empty: average after backward
  std::unique_ptr<data::Loader> loader_;
  double data_wait_ = 0;  // seconds spent in next_batch, over the run
  std::filesystem::path run_dir_;
  // position_: this rank's cursor in its shard of the epoch (every rank's is saved).
  int64_t step_ = 0, epoch_ = 0, position_ = 0, samples_ = 0;
  io::Json evaluations_ = io::Json::array();
};

}  // namespace setok::train
