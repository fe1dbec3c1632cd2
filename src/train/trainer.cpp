#include "setok/train/trainer.h"

#include <chrono>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>

#include "setok/data/sampler.h"
#include "setok/io/checkpoint.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"
#include "setok/runtime/progress.h"
#include "setok/train/curves.h"
#include "setok/train/schedule.h"

namespace setok::train {

namespace fs = std::filesystem;

namespace {

std::vector<at::Tensor> trainable(const AdamW& opt) {
  std::vector<at::Tensor> out;
  for (const auto& g : opt.groups()) out.insert(out.end(), g.params.begin(), g.params.end());
  return out;
}

// Global L2 norm of the gradients; scales them to `max_norm` when above it (0 = no clipping).
double clip_gradients(const std::vector<at::Tensor>& params, double max_norm) {
  at::NoGradGuard g;
  std::vector<at::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().to(at::kFloat).norm().pow(2));
  }
  if (norms.empty()) return 0.0;
  const double total = at::stack(norms).sum().sqrt().item<double>();
  if (max_norm > 0 && total > max_norm) {
    const double scale = max_norm / (total + 1e-6);
    for (const auto& p : params) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  return total;
}

}  // namespace

Trainer::Trainer(Recipe& recipe, TrainerOptions options)
    : recipe_(recipe), o_(std::move(options)), run_dir_(o_.train.run_dir) {
  if (o_.train.precision == "bf16" && !o_.device.is_cuda()) {
    throw Error(
        "train.precision bf16 needs a CUDA device (bf16 autocast runs on CUDA only); use fp32 on " +
        o_.device.str());
  }
}

io::Json Trainer::evaluate_and_record(int64_t step) {
  const auto t0 = std::chrono::steady_clock::now();
  recipe_.model().eval();
  io::Json metrics;
  {
    at::NoGradGuard g;
    EmaSwap averaged(ema_ && o_.train.ema_eval ? ema_.get() : nullptr);
    metrics = recipe_.evaluate(step);
  }
  recipe_.model().train();
  metrics["step"] = step;
  evaluations_.push_back(metrics);
  log_scalars("eval/", metrics, step);
  if (o_.rank == 0) {
    io::Json doc = {
        {"first", evaluations_.front()}, {"last", metrics}, {"evaluations", evaluations_}};
    io::write_json(run_dir_ / "eval.json", doc);
  }
  spdlog::info("eval at step {} ({:.1f} s): {}", step,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
               metrics.dump());
  return metrics;
}

void Trainer::save_checkpoint(const AdamW& opt) {
  if (o_.rank != 0) return;
  io::CheckpointDir ckpt(run_dir_ / "checkpoints", o_.train.keep_last);
  ckpt.save(step_, [&](const fs::path& dir) {
    io::save_state(recipe_.model(), dir / "model.safetensors", {{"step", std::to_string(step_)}});
    io::save_safetensors(dir / "optimizer.safetensors", opt.state());
    io::NamedTensors rng;
    rng.emplace_back("torch.cpu", at::detail::getDefaultCPUGenerator().get_state());
    if (!o_.device.is_cpu()) {
      // Dropout and other random ops on the accelerator draw from its own generator.
      rng.emplace_back("torch." + o_.device.str(),
                       at::globalContext().defaultGenerator(o_.device).get_state());
    }
    for (auto& [name, gen] : recipe_.generators())
      rng.emplace_back("recipe." + name, gen.get_state());
    io::save_safetensors(dir / "rng.safetensors", rng);
    if (ema_) io::save_safetensors(dir / "ema.safetensors", ema_->state());
    const io::NamedTensors extra = recipe_.extra_state();
    if (!extra.empty()) io::save_safetensors(dir / "extra.safetensors", extra);
    io::write_json(dir / "trainer.json", {{"step", step_},
                                          {"epoch", epoch_},
                                          {"position", position_},
                                          {"samples", samples_},
                                          {"seed", o_.seed},
                                          {"world", o_.world},
                                          {"evaluations", evaluations_}});
  });
  spdlog::info("checkpoint step {} -> {}", step_, (run_dir_ / "checkpoints").string());
}

bool Trainer::load_checkpoint(AdamW* opt) {
  const fs::path root = run_dir_ / "checkpoints";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return false;
  const auto latest = io::CheckpointDir(root, o_.train.keep_last).latest();
  if (!latest) return false;
  const fs::path dir = *latest;
  io::load_state(recipe_.model(), io::TensorStore::open(dir / "model.safetensors"));
  const io::Json state = io::read_json(dir / "trainer.json");
  step_ = state.at("step").get<int64_t>();
  epoch_ = state.at("epoch").get<int64_t>();
  position_ = state.at("position").get<int64_t>();
  samples_ = state.at("samples").get<int64_t>();
  if (state.contains("evaluations")) evaluations_ = state["evaluations"];
  if (state.value("world", 1) != o_.world) {
    throw Error(dir.string() + ": saved by a run with " + std::to_string(state.value("world", 1)) +
                " ranks, resuming with " + std::to_string(o_.world) +
                " (data positions would not match)");
  }
  if (opt != nullptr) opt->load_state(io::TensorStore::open(dir / "optimizer.safetensors"));
  const io::TensorStore rng = io::TensorStore::open(dir / "rng.safetensors");
  at::Generator(at::detail::getDefaultCPUGenerator()).set_state(rng.get("torch.cpu").clone());
  if (!o_.device.is_cpu()) {
    const std::string key = "torch." + o_.device.str();
    if (rng.contains(key)) {
      at::Generator gen = at::globalContext().defaultGenerator(o_.device);
      gen.set_state(rng.get(key).clone());
    } else {
      spdlog::warn(
          "{}: no '{}' generator state (saved on another device): random ops on {} "
          "will not continue the saved stream",
          dir.string(), key, o_.device.str());
    }
  }
  for (auto& [name, gen] : recipe_.generators()) {
    if (!rng.contains("recipe." + name))
      throw Error(dir.string() + ": rng.safetensors lacks generator '" + name + "'");
    gen.set_state(rng.get("recipe." + name).clone());
  }
  if (fs::exists(dir / "extra.safetensors"))
    recipe_.load_extra_state(io::TensorStore::open(dir / "extra.safetensors"));
  if (ema_) {
    if (fs::exists(dir / "ema.safetensors")) {
      ema_->load_state(io::TensorStore::open(dir / "ema.safetensors"));
    } else {
      spdlog::warn("{}: no ema.safetensors; the EMA restarts from the resumed weights",
                   dir.string());
      make_ema();
    }
  }
  spdlog::info("resumed from {} (step {}, epoch {}, item {})", dir.string(), step_, epoch_,
               position_);
  return true;
}

void Trainer::log_scalars(const std::string& prefix, const io::Json& values, int64_t step) {
  if (!tensorboard_) return;
  for (const auto& [key, v] : values.items()) {
    if (key == "step") continue;
    if (v.is_number()) tensorboard_->add_scalar(prefix + key, v.get<double>(), step);
    if (v.is_object()) log_scalars(prefix + key + "/", v, step);  // an eval set's metrics
  }
}

void Trainer::write_curves() {
  if (o_.rank != 0 || !o_.tensorboard || !io::has_image_support()) return;
  try {
    spdlog::info("curves: {}", write_run_curves(run_dir_).string());
  } catch (const std::exception& e) {  // a picture must never fail a finished run
    spdlog::warn("could not draw the run's curves: {}", e.what());
  }
}

void Trainer::make_ema() {
  ema_.reset();
  if (o_.train.ema_decay > 0) ema_ = std::make_unique<Ema>(recipe_.model(), o_.train.ema_decay);
}

io::Json Trainer::fit(bool resume) {
  fs::create_directories(run_dir_);
  if (o_.rank == 0 && !o_.resolved_config.is_null())
    io::write_json(run_dir_ / "config.resolved.json", o_.resolved_config);
  recipe_.model().to(o_.device);
  make_ema();
  recipe_.model().train();
  AdamWOptions ao;
  ao.beta1 = o_.train.beta1;
  ao.beta2 = o_.train.beta2;
  ao.eps = o_.train.eps;
  AdamW opt(recipe_.param_groups(), ao);
  const bool resumed = resume && load_checkpoint(&opt);
  if (resume && !resumed)
    spdlog::warn("--resume: no checkpoint in {}, starting from scratch", run_dir_.string());
  io::MetricsWriter metrics(run_dir_ / "metrics.jsonl",
                            resumed ? std::optional<int64_t>(step_) : std::nullopt);
  if (o_.rank == 0 && o_.tensorboard) {
    tensorboard_ =
        std::make_unique<io::TensorBoardWriter>(run_dir_ / "tensorboard", resumed ? step_ : -1);
  }
  if (!resumed) evaluate_and_record(0);

  LrSchedule schedule{o_.train.lr, o_.train.min_lr, o_.train.warmup_steps, o_.train.steps,
                      o_.train.schedule};
  data::LoaderOptions lo;
  lo.batch_size = o_.train.batch_size;
  lo.workers = o_.data.workers;
  lo.prefetch_batches = o_.data.prefetch_batches;
  lo.skip_bad = o_.data.skip_bad_samples;
  lo.drop_last = true;
  std::unique_ptr<data::Loader> loader;
  // Wall time the step spent in next_batch (waiting on workers, starting an epoch's loader):
  // measured here rather than by the loader because a loader lives for one epoch only.
  double data_wait = 0;
  auto next_batch = [&]() -> data::Batch {
    const auto t0 = std::chrono::steady_clock::now();
    struct AddWait {
      double& total;
      std::chrono::steady_clock::time_point t0;
      ~AddWait() {
        total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
    } add_wait{data_wait, t0};
    for (int empty_epochs = 0;;) {
      if (!loader) {
        recipe_.begin_epoch(epoch_);
        const int64_t n = recipe_.epoch_size();
        const auto order = data::epoch_order(n, o_.seed, epoch_, o_.data.shuffle);
        loader = std::make_unique<data::Loader>(
            data::rank_shard(order, o_.rank, o_.world),
            [this](int64_t i) { return recipe_.fetch(i); }, lo, position_);
      }
      if (auto b = loader->next()) {
        position_ = loader->position();
        return std::move(*b);
      }
      if (++empty_epochs > 1) {
        throw Error("the training data yields no batch of " + std::to_string(lo.batch_size) +
                    " (dataset smaller than the batch, or every sample skipped)");
      }
      ++epoch_;
      position_ = 0;
      loader.reset();
    }
  };

  runtime::ProgressOptions po;
  po.label = "train";
  po.unit = "step";
  po.total = o_.train.steps;
  po.start = step_;
  runtime::Progress progress(po);
  std::map<std::string, double> sums;
  int64_t counted = 0;
  double interval_seconds = 0, interval_wait = 0;
  int64_t interval_samples = 0;
  const bool autocast = o_.train.precision == "bf16";
  data::Batch last;
  const int64_t stop_at =
      o_.stop_after > 0 ? std::min(o_.train.steps, step_ + o_.stop_after) : o_.train.steps;
  while (step_ < stop_at) {
    const auto t0 = std::chrono::steady_clock::now();
    const double wait0 = data_wait;
    int64_t batch_samples = 0;
    for (int64_t a = 0; a < o_.train.grad_accum; ++a) {
      data::Batch batch = next_batch();
      batch_samples += batch.size;
      StepResult r;
      {
        std::optional<compat::AutocastGuard> guard;
        if (autocast) guard.emplace(c10::DeviceType::CUDA, c10::kBFloat16);
        r = recipe_.step(batch, step_);
      }
      if (!r.loss.defined() || !std::isfinite(r.loss.item<double>())) {
        throw Error("non-finite loss at step " + std::to_string(step_) + " (" +
                    io::Json(r.metrics).dump() + "); lower train.lr or check the data");
      }
      (r.loss / static_cast<double>(o_.train.grad_accum)).backward();
      for (const auto& [k, v] : r.metrics) sums[k] += v / static_cast<double>(o_.train.grad_accum);
      last = std::move(batch);
    }
    const auto params = trainable(opt);
    if (o_.grad_sync) o_.grad_sync(params);
    const double grad_norm = clip_gradients(params, o_.train.grad_clip);
    const double lr = schedule.at(step_);
    opt.step(lr);
    opt.zero_grad();
    if (ema_) ema_->update();
    recipe_.after_step(last, step_);
    ++step_;
    samples_ += batch_samples;
    ++counted;
    sums["grad_norm"] += grad_norm;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    interval_seconds += seconds;
    interval_wait += data_wait - wait0;
    interval_samples += batch_samples;
    progress.update(
        1, "loss " + std::to_string(sums.count("loss") ? sums["loss"] / static_cast<double>(counted)
                                                       : 0.0));

    if (step_ % o_.log_every == 0 || step_ == o_.train.steps) {
      std::map<std::string, double> row;
      for (const auto& [k, v] : sums) row[k] = v / static_cast<double>(counted);
      row["lr"] = lr;
      io::Json timing = {{"epoch", epoch_},
                         {"samples", samples_},
                         {"images_per_s",
                          static_cast<double>(interval_samples) / std::max(interval_seconds, 1e-9)},
                         {"data_wait_fraction", interval_wait / std::max(interval_seconds, 1e-9)}};
      if (o_.rank == 0) {
        metrics.log(step_, row, timing);
        log_scalars("train/", io::Json(row), step_);
        log_scalars("train/", timing, step_);
      }
      sums.clear();
      counted = 0;
      interval_seconds = interval_wait = 0;
      interval_samples = 0;
    }
    if (o_.train.sample_every > 0 && step_ % o_.train.sample_every == 0 && o_.rank == 0) {
      fs::create_directories(run_dir_ / "samples");
      at::NoGradGuard g;
      recipe_.model().eval();
      EmaSwap averaged(ema_ && o_.train.ema_eval ? ema_.get() : nullptr);
      const fs::path png = run_dir_ / "samples" / ("step_" + std::to_string(step_) + ".png");
      recipe_.write_sample(last, png);
      recipe_.model().train();
      if (tensorboard_ && fs::exists(png))
        tensorboard_->add_png("samples", io::read_file(png), step_);
    }
    const bool eval_now = o_.train.eval_every > 0 && step_ % o_.train.eval_every == 0;
    if (eval_now && step_ < o_.train.steps) evaluate_and_record(step_);
    if (step_ % o_.train.checkpoint_every == 0 || step_ == o_.train.steps || step_ == stop_at) {
      if (step_ == o_.train.steps) evaluate_and_record(step_);
      save_checkpoint(opt);
    }
  }
  if (step_ < o_.train.steps)
    spdlog::info("stopped at step {} of {} (--stop-after); continue with --resume", step_,
                 o_.train.steps);
  progress.finish();
  write_curves();
  return evaluations_.empty() ? io::Json() : evaluations_.back();
}

io::Json Trainer::evaluate_only() {
  fs::create_directories(run_dir_);
  recipe_.model().to(o_.device);
  make_ema();
  if (!load_checkpoint(nullptr))
    spdlog::warn("no checkpoint in {}: evaluating the initial model", run_dir_.string());
  evaluations_ = io::Json::array();
  return evaluate_and_record(step_);
}

}  // namespace setok::train
