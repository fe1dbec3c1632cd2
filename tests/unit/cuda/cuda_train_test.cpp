// The training engine on a CUDA device (skipped without one; scripts/gpu_check.sh runs them on
// the accelerator machine): a bf16-autocast step against the fp32 step, and resume continuing
// the device's random stream (dropout on the GPU) exactly.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/cuda.h>
#include <torch/nn/modules/linear.h>

#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/compat.h"
#include "setok/train/trainer.h"
#include "temp_dir.h"

namespace setok::train {
namespace {

namespace fs = std::filesystem;

struct MlpImpl : torch::nn::Module {
  MlpImpl() {
    at::manual_seed(7);
    in = register_module("in", torch::nn::Linear(32, 128));
    out = register_module("out", torch::nn::Linear(128, 32));
  }
  torch::nn::Linear in{nullptr}, out{nullptr};
};
TORCH_MODULE(Mlp);

// Regression of sin(x) with dropout on the hidden layer (drawn from the device's generator).
class CudaRecipe : public Recipe {
 public:
  CudaRecipe(c10::Device device, double dropout) : device_(device), dropout_(dropout) {
    at::manual_seed(3);
    data_ = at::randn({64, 32});
  }
  torch::nn::Module& model() override { return *model_; }
  std::vector<OptimizerSpec> optimizers() override {
    OptimizerSpec s;
    s.groups = decay_groups(io::module_state(*model_), 0.0);
    s.schedule = {1e-3, 1e-3, 0, 100, "constant"};
    return {s};
  }
  std::string base_source() const override { return "none"; }
  void begin_epoch(int64_t) override {}
  int64_t epoch_size() const override { return data_.size(0); }
  data::Example fetch(int64_t i) override {
    data::Example e;
    e.tensors["x"] = data_[i];
    return e;
  }
  StepResult step(const data::Batch& batch, const StepContext&) override {
    const at::Tensor x = batch.tensors.at("x").to(device_);  // [B, 32]
    at::Tensor h = at::gelu(model_->in->forward(x));         // [B, 128]
    if (dropout_ > 0) h = at::dropout(h, dropout_, model_->is_training());
    const at::Tensor loss = (model_->out->forward(h).to(at::kFloat) - at::sin(x)).pow(2).mean();
    return {loss, {{"loss", loss.item<double>()}}};
  }
  io::Json evaluate(int64_t step) override { return {{"step", step}}; }

  Mlp model_;

 private:
  c10::Device device_;
  double dropout_;
  at::Tensor data_;
};

TrainerOptions options(const fs::path& run, int64_t steps, const std::string& precision) {
  TrainerOptions o;
  o.device = c10::Device(c10::kCUDA, 0);
  o.train.run_dir = run.string();
  o.train.steps = steps;
  o.train.batch_size = 16;
  o.train.checkpoint_every = 3;
  o.train.eval_every = 0;
  o.train.precision = precision;
  o.data.workers = 1;
  o.log_every = 1;
  o.tensorboard = false;
  return o;
}

class CudaTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  }
};

// One step's gradients (at the engine's sync hook, before clipping) under bf16 autocast against
// fp32 (TF32 off): cosine >= 0.99 and norms within 3 % — bf16 keeps 8 bits of mantissa, so the
// matmuls' products are off by ~0.4 % each.
TEST_F(CudaTraining, Bf16AutocastStepMatchesFp32) {
  compat::set_tf32(false);
  test::TempDir dir;
  std::map<std::string, at::Tensor> grads[2];
  const char* precisions[] = {"fp32", "bf16"};
  for (int k = 0; k < 2; ++k) {
    CudaRecipe recipe(c10::Device(c10::kCUDA, 0), 0.0);
    TrainerOptions o = options(dir / precisions[k], 1, precisions[k]);
    o.grad_sync = [&, k](const std::vector<at::Tensor>& params) {
      for (size_t i = 0; i < params.size(); ++i)
        grads[k][std::to_string(i)] = params[i].grad().detach().to(at::kCPU, at::kDouble);
    };
    Trainer(recipe, o).fit(false);
  }
  ASSERT_EQ(grads[0].size(), 4u);
  for (const auto& [name, g32] : grads[0]) {
    const at::Tensor g16 = grads[1].at(name);
    const double cosine =
        (g32 * g16).sum().item<double>() / (g32.norm() * g16.norm()).item<double>();
    EXPECT_GE(cosine, 0.99) << "parameter " << name;
    EXPECT_NEAR(g16.norm().item<double>() / g32.norm().item<double>(), 1.0, 0.03) << name;
  }
}

// Stopped after 3 steps and resumed: the GPU's dropout masks continue the saved CUDA generator
// state, so the run equals the straight one bitwise.
TEST_F(CudaTraining, ResumeContinuesTheDeviceRandomStream) {
  test::TempDir dir;
  const auto run = [&](const char* name, bool resume, int64_t stop_after) {
    CudaRecipe recipe(c10::Device(c10::kCUDA, 0), 0.2);
    TrainerOptions o = options(dir / name, 6, "fp32");
    o.stop_after = stop_after;
    Trainer(recipe, o).fit(resume);
  };
  run("straight", false, 0);
  run("resumed", false, 3);
  run("resumed", true, 0);
  const auto a =
      io::TensorStore::open(dir / "straight" / "checkpoints" / "step_6" / "model.safetensors");
  const auto b =
      io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_6" / "model.safetensors");
  ASSERT_EQ(a.names(), b.names());
  for (const auto& name : a.names()) EXPECT_TRUE(at::equal(a.get(name), b.get(name))) << name;
  const auto rng =
      io::TensorStore::open(dir / "resumed" / "checkpoints" / "step_6" / "rng.safetensors");
  EXPECT_TRUE(rng.contains("torch.cuda:0"));
}

}  // namespace
}  // namespace setok::train
