#pragma once
// Exponential moving average of the trainable parameters (float32 shadows):
//   ema <- decay * ema + (1 - decay) * param      after every optimizer step,
// started from the parameters at the beginning of training. Evaluation can run with the
// averaged weights swapped in (EmaSwap); checkpoints carry the shadows (`ema.<name>`), so
// resuming continues the same average.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/io/safetensors.h"

namespace torch::nn {
class Module;
}

namespace setok::io {
class TensorStore;
}

namespace setok::train {

class Ema {
 public:
  // Tracks every parameter of `model` that requires grad. decay in (0, 1).
  Ema(torch::nn::Module& model, double decay);

  void update();
  double decay() const { return decay_; }
  size_t size() const { return params_.size(); }

  // Checkpoint form: "ema.<parameter name>" -> float32 shadow.
  io::NamedTensors state() const;
  // Errors name the store and the missing / mis-shaped tensor.
  void load_state(const io::TensorStore& store);

  // Puts the averaged weights into the model (keeping a copy of the trained ones) / puts the
  // trained ones back. The shadows themselves are never rounded to the parameter dtype.
  void apply();
  void restore();

 private:
  double decay_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  std::vector<at::Tensor> shadows_;  // float32, on the parameters' device
  std::vector<at::Tensor> backup_;   // the trained weights while apply()'d
};

// RAII: the averaged weights are in the model while it lives.
class EmaSwap {
 public:
  explicit EmaSwap(Ema* ema) : ema_(ema) {
    if (ema_) ema_->apply();
  }
  ~EmaSwap() {
    if (ema_) ema_->restore();
  }
  EmaSwap(const EmaSwap&) = delete;
  EmaSwap& operator=(const EmaSwap&) = delete;

 private:
  Ema* ema_;
};

}  // namespace setok::train
