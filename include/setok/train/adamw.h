#pragma once
// AdamW (decoupled weight decay, bias-corrected moments) over named parameter groups, with its
// state saved and restored by parameter name so checkpoints are exact and readable. Moments are
// float32 whatever the parameter's dtype; a parameter stored in a 16-bit dtype gets a float32
// master copy that takes the updates (and is written back, rounded, after each step), so
// updates below bf16's resolution still accumulate.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/io/safetensors.h"

namespace setok::io {
class TensorStore;
}

namespace setok::train {

struct ParamGroup {
  std::string name;                // "decay", "no_decay", "discriminator", ...
  std::vector<std::string> names;  // parameter names (checkpoint keys)
  std::vector<at::Tensor> params;
  double lr_scale = 1.0;  // multiplies the scheduled learning rate
  double weight_decay = 0.0;
};

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class AdamW {
 public:
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options);

  // One update with learning rate `lr` (times each group's lr_scale). Parameters without a
  // gradient are skipped.
  void step(double lr);
  void zero_grad();

  const std::vector<ParamGroup>& groups() const { return groups_; }
  int64_t steps() const { return steps_; }

  // "<prefix><param>.exp_avg", "<prefix><param>.exp_avg_sq", "<prefix><param>.master" (16-bit
  // parameters) and "<prefix>optimizer.step".
  io::NamedTensors state(const std::string& prefix = "") const;
  // Restores state(prefix) output; every moment of every parameter must be present with its
  // shape (errors name the file and key).
  void load_state(const io::TensorStore& store, const std::string& prefix = "");

 private:
  std::vector<ParamGroup> groups_;
  AdamWOptions options_;
  int64_t steps_ = 0;
  std::vector<std::vector<at::Tensor>> m_, v_;
  std::vector<std::vector<at::Tensor>> master_;  // float32 copies of 16-bit parameters, else {}
};

// Splits trainable parameters into decay (matrices) and no-decay (biases, norms, 1-d, and names
// containing any of `no_decay_names`) groups, AdamW's usual convention.
std::vector<ParamGroup> decay_groups(const std::vector<std::pair<std::string, at::Tensor>>& named,
                                     double weight_decay, double lr_scale = 1.0,
                                     const std::string& prefix = "");

}  // namespace setok::train
