#pragma once
// An optimizer as the training engine runs it: a named parameter set with its AdamW, learning-
// rate schedule, gradient clipping and the step from which it updates. A recipe declares its
// optimizers (stage 1: the model, and the PatchGAN discriminator when the GAN loss is on); the
// engine zeroes, synchronises, clips, steps and checkpoints every one of them the same way.
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/io/safetensors.h"
#include "setok/train/adamw.h"
#include "setok/train/schedule.h"

namespace setok::io {
class TensorStore;
}

namespace setok::train {

struct OptimizerSpec {
  std::string name = "model";  // checkpoint prefix of the non-first optimizers, log suffix
  std::vector<ParamGroup> groups;
  AdamWOptions adamw;
  LrSchedule schedule;
  double grad_clip = 0.0;  // global norm over this optimizer's parameters; 0 = off
  int64_t start_step = 0;  // no update before this step (e.g. the discriminator's disc_start)
};

// Called with an optimizer's gradients before clipping (distributed all-reduce).
using GradSync = std::function<void(const std::vector<at::Tensor>&)>;

class Optimizer {
 public:
  explicit Optimizer(OptimizerSpec spec);

  const std::string& name() const { return spec_.name; }
  const std::vector<at::Tensor>& params() const { return params_; }
  bool active(int64_t step) const { return step >= spec_.start_step; }
  double lr(int64_t step) const { return spec_.schedule.at(step); }

  // Synchronises (when `sync` is set), clips to grad_clip and applies one AdamW update with the
  // scheduled learning rate. Returns the gradient norm before clipping.
  double step(int64_t step, const GradSync& sync = {});
  void zero_grad() { adamw_.zero_grad(); }

  // AdamW state; `prefix` "" for the first optimizer (checkpoints of earlier versions) and
  // "<name>." for the others.
  io::NamedTensors state(const std::string& prefix) const { return adamw_.state(prefix); }
  void load_state(const io::TensorStore& store, const std::string& prefix) {
    adamw_.load_state(store, prefix);
  }

 private:
  OptimizerSpec spec_;
  AdamW adamw_;
  std::vector<at::Tensor> params_;
};

// Global L2 norm of the gradients of `params`; scales them down to `max_norm` when above it
// (0 = no clipping). Parameters without a gradient are skipped.
double clip_gradients(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace setok::train
