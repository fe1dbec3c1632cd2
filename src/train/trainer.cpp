#include "setok/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <spdlog/spdlog.h>
#include <torch/nn/module.h>

#include "setok/data/sampler.h"
#include "setok/dist/grad_sync.h"
#include "setok/io/checkpoint.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"
#include "setok/runtime/progress.h"
#include "setok/runtime/seed.h"
#include "setok/train/curves.h"

namespace setok::train {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Checkpoint prefix of optimizer k's state: the first keeps the unprefixed names of earlier
// checkpoints.
std::string optimizer_prefix(size_t k, const std::string& name) {
  return k == 0 ? "" : name + ".";
}

// The model's parameters that do not train (the frozen base) and the names of everything a
// checkpoint keeps: trainable parameters and every buffer.
std::set<std::string> frozen_names(const torch::nn::Module& model) {
  std::set<std::string> out;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) out.insert(item.key());
  }
  return out;
}

}  // namespace

// What one log interval accumulates.
struct Trainer::Interval {
  std::map<std::string, double> sums;
  int64_t steps = 0;
  double seconds = 0, wait = 0;
  int64_t units = 0;
  std::string unit = "images";
  void clear() {
    sums.clear();
    steps = units = 0;
    seconds = wait = 0;
  }
};

Trainer::Trainer(Recipe& recipe, TrainerOptions options)
    : recipe_(recipe), o_(std::move(options)), run_dir_(o_.train.run_dir) {
  if (o_.group) {
    o_.rank = o_.group->rank();
    o_.world = o_.group->world();
    if (!o_.grad_sync) o_.grad_sync = dist::GradientSync(o_.group, o_.bucket_mb);
  }
  if (o_.train.precision == "bf16" && !o_.device.is_cuda()) {
    throw Error(
        "train.precision bf16 needs a CUDA device (bf16 autocast runs on CUDA only); use fp32 on " +
        o_.device.str());
  }
}

io::Json Trainer::evaluate_and_record(int64_t step) {
  const auto t0 = Clock::now();
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
  spdlog::info("eval at step {} ({:.1f} s): {}", step, seconds_since(t0), metrics.dump());
  return metrics;
}

io::Json Trainer::base_reference() {
  // One fingerprint for the whole frozen base, and one per top-level part, so a loader of one
  // part (the tokenizer in `setok_infer tokenize`) can check its own.
  io::Json parts = io::Json::object();
  for (const auto& child : recipe_.model().named_children()) {
    parts[child.key()] = io::frozen_fingerprint(*child.value(), child.key() + ".");
  }
  return {{"source", recipe_.base_source()},
          {"fingerprint", io::frozen_fingerprint(recipe_.model())},
          {"frozen_parameters", frozen_names(recipe_.model()).size()},
          {"parts", parts}};
}

void Trainer::save_checkpoint() {
  // Every rank's cursor (all ranks take part in the gather; rank 0 writes).
  std::vector<int64_t> positions{position_};
  if (o_.group) {
    const at::Tensor all = o_.group->all_gather(at::full({1}, position_, at::kLong));  // [W, 1]
    positions.assign(all.data_ptr<int64_t>(), all.data_ptr<int64_t>() + all.numel());
  }
  if (o_.rank != 0) {
    o_.group->barrier();  // the checkpoint is complete when training goes on
    return;
  }
  io::CheckpointDir ckpt(run_dir_ / "checkpoints", o_.train.keep_last);
  const std::set<std::string> frozen = frozen_names(recipe_.model());
  const io::Json base = base_reference();
  ckpt.save(step_, [&](const fs::path& dir) {
    io::NamedTensors model;  // trainable parameters and buffers; the frozen base is referred to
    for (auto& [name, t] : io::module_state(recipe_.model())) {
      if (!frozen.count(name)) model.emplace_back(name, t);
    }
    io::save_safetensors(dir / "model.safetensors", model, {{"step", std::to_string(step_)}});
    io::NamedTensors opt;
    for (size_t k = 0; k < optimizers_.size(); ++k) {
      for (auto& kt : optimizers_[k].state(optimizer_prefix(k, optimizers_[k].name())))
        opt.push_back(std::move(kt));
    }
    io::save_safetensors(dir / "optimizer.safetensors", opt);
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
                                          {"positions", positions},
                                          {"samples", samples_},
                                          {"seed", o_.seed},
                                          {"world", o_.world},
                                          {"base", base},
                                          {"evaluations", evaluations_}});
  });
  spdlog::info("checkpoint step {} -> {}", step_, (run_dir_ / "checkpoints").string());
  if (o_.group) o_.group->barrier();
}

bool Trainer::load_checkpoint(bool with_optimizers) {
  const fs::path root = run_dir_ / "checkpoints";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return false;
  const auto latest = io::CheckpointDir(root, o_.train.keep_last).latest();
  if (!latest) return false;
  const fs::path dir = *latest;
  const io::Json state = io::read_json(dir / "trainer.json");
  // The frozen base must be the one the checkpoint was trained on.
  if (state.contains("base")) {
    const io::Json& base = state["base"];
    const std::string want = base.value("fingerprint", ""),
                      have = io::frozen_fingerprint(recipe_.model());
    if (want != have) {
      throw Error(dir.string() + ": trained on the base '" + base.value("source", "?") +
                  "' (fingerprint " + want + "), but this run's frozen weights come from '" +
                  recipe_.base_source() + "' (fingerprint " + have +
                  "); resume with the same base weights");
    }
  }
  // Trainable parameters and buffers; frozen parameters stay as the recipe built them.
  io::load_trainable_state(recipe_.model(), io::TensorStore::open(dir / "model.safetensors"));
  step_ = state.at("step").get<int64_t>();
  epoch_ = state.at("epoch").get<int64_t>();
  samples_ = state.at("samples").get<int64_t>();
  if (state.contains("evaluations")) evaluations_ = state["evaluations"];
  restore_position(state, dir);
  if (with_optimizers) {
    const io::TensorStore opt = io::TensorStore::open(dir / "optimizer.safetensors");
    for (size_t k = 0; k < optimizers_.size(); ++k)
      optimizers_[k].load_state(opt, optimizer_prefix(k, optimizers_[k].name()));
  }
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
  if (o_.rank != 0 || !o_.tensorboard) return;
  if (!io::has_drawing_support()) {
    spdlog::info("curves: not drawn (this build has no OpenCV; the TensorBoard files have them)");
    return;
  }
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

data::Batch Trainer::next_batch() {
  // Wall time the step spends here (waiting on workers, starting an epoch's loader): measured
  // here rather than by the loader because a loader lives for one epoch only.
  const auto t0 = Clock::now();
  struct AddWait {
    double& total;
    Clock::time_point t0;
    ~AddWait() { total += seconds_since(t0); }
  } add_wait{data_wait_, t0};
  for (int empty_epochs = 0;;) {
    if (!loader_) {
      recipe_.begin_epoch(epoch_);
      data::LoaderOptions lo;
      lo.batch_size = o_.train.batch_size;
      lo.workers = o_.data.workers;
      lo.prefetch_batches = o_.data.prefetch_batches;
      lo.skip_bad = o_.data.skip_bad_samples;
      lo.drop_last = true;
      lo.collate = [this](std::vector<data::Example> ex) { return recipe_.collate(std::move(ex)); };
      std::vector<int64_t> order =
          data::epoch_order(recipe_.epoch_size(), o_.seed, epoch_, o_.data.shuffle);
      // Even shards: the order's tail of fewer than `world` items is left out this epoch (a
      // reshuffled epoch reads it), so every rank has the same number of batches.
      order.resize(order.size() - order.size() % static_cast<size_t>(o_.world));
      loader_ = std::make_unique<data::Loader>(
          data::rank_shard(order, o_.rank, o_.world),
          [this](int64_t i) { return recipe_.fetch(i); }, lo, position_);
    }
    const int64_t first = position_;
    if (auto b = loader_->next()) {
      position_ = loader_->position();
      // Example i is item first + i of this rank's shard, i.e. position (first + i) * world +
      // rank of the epoch's order (exact unless the loader skipped bad samples).
      std::vector<int64_t>& index = b->ints[kSampleIndex];
      index.resize(static_cast<size_t>(b->size));
      for (int64_t i = 0; i < b->size; ++i) {
        index[static_cast<size_t>(i)] =
            epoch_ * recipe_.epoch_size() + (first + i) * o_.world + o_.rank;
      }
      return std::move(*b);
    }
    if (++empty_epochs > 1) {
      throw Error("the training data yields no batch of " + std::to_string(o_.train.batch_size) +
                  " (dataset smaller than the batch, or every sample skipped)");
    }
    ++epoch_;
    position_ = 0;
    loader_.reset();
  }
}

void Trainer::micro_steps(size_t k, const std::vector<data::Batch>& batches, Interval& interval) {
  Optimizer& opt = optimizers_[k];
  opt.zero_grad();  // whatever another optimizer's pass left in these parameters
  const auto micro = static_cast<int64_t>(batches.size());
  for (int64_t m = 0; m < micro; ++m) {
    StepResult r;
    {
      std::optional<compat::AutocastGuard> guard;
      if (o_.train.precision == "bf16") guard.emplace(c10::DeviceType::CUDA, c10::kBFloat16);
      r = recipe_.step(batches[static_cast<size_t>(m)], {step_, k, m, micro});
    }
    if (!r.loss.defined())
      throw Error("the recipe returned no " + opt.name() + " loss at step " +
                  std::to_string(step_));
    check_finite(opt.name() + " loss (" + io::Json(r.metrics).dump() + ")", r.loss.item<double>());
    // Gradients reach every parameter on the loss's path (restricting backward to this
    // optimizer's inputs would prune activation-checkpointed blocks whose input is detached);
    // only this optimizer's were zeroed above and only they are used below.
    const at::Tensor scaled = r.loss / static_cast<double>(micro);
    if (!reducers_.empty() && m == micro - 1)
      reducers_[k]->backward(scaled);
    else
      scaled.backward();
    for (const auto& [key, v] : r.metrics) interval.sums[key] += v / static_cast<double>(micro);
    if (k == 0) interval.units += r.units >= 0 ? r.units : batches[static_cast<size_t>(m)].size;
  }
}

void Trainer::optimizer_steps(const std::vector<data::Batch>& batches, Interval& interval) {
  for (size_t k = 0; k < optimizers_.size(); ++k) {
    Optimizer& opt = optimizers_[k];
    if (!opt.active(step_)) continue;
    micro_steps(k, batches, interval);
    const double norm = opt.step(step_, reducers_.empty() ? o_.grad_sync : GradSync());
    opt.zero_grad();
    const std::string suffix = k == 0 ? "" : "_" + opt.name();
    interval.sums["grad_norm" + suffix] += norm;
    interval.sums["lr" + suffix] += opt.lr(step_);
  }
  if (ema_) ema_->update();
}

void Trainer::log_interval(Interval& interval, io::MetricsWriter* metrics) {
  if (interval.steps == 0) return;
  average_over_ranks(interval.sums);
  // Throughput of the whole world (every rank's units).
  const double units = o_.group ? o_.group->all_reduce_scalar(static_cast<double>(interval.units))
                                : static_cast<double>(interval.units);
  std::map<std::string, double> row;
  for (const auto& [k, v] : interval.sums) row[k] = v / static_cast<double>(interval.steps);
  io::Json timing = {
      {"epoch", epoch_},
      {"samples", samples_},
      {interval.unit + "_per_s", units / std::max(interval.seconds, 1e-9)},
      {"steps_per_s", static_cast<double>(interval.steps) / std::max(interval.seconds, 1e-9)},
      {"data_wait_fraction", interval.wait / std::max(interval.seconds, 1e-9)}};
  if (metrics != nullptr) {
    metrics->log(step_, row, timing);
    log_scalars("train/", io::Json(row), step_);
    log_scalars("train/", timing, step_);
  }
  interval.clear();
}

void Trainer::write_sample_sheet(const data::Batch& last) {
  if (o_.train.sample_every <= 0 || step_ % o_.train.sample_every != 0 || o_.rank != 0) return;
  fs::create_directories(run_dir_ / "samples");
  const fs::path png = run_dir_ / "samples" / ("step_" + std::to_string(step_) + ".png");
  {
    at::NoGradGuard g;
    recipe_.model().eval();
    EmaSwap averaged(ema_ && o_.train.ema_eval ? ema_.get() : nullptr);
    recipe_.write_sample(last, png);
  }
  recipe_.model().train();
  if (tensorboard_ && fs::exists(png)) tensorboard_->add_png("samples", io::read_file(png), step_);
}

io::Json Trainer::fit(bool resume) {
  fs::create_directories(run_dir_);
  if (o_.rank == 0 && !o_.resolved_config.is_null())
    io::write_json(run_dir_ / "config.resolved.json", o_.resolved_config);
  recipe_.model().to(o_.device);
  if (o_.group) join_group();
  make_ema();
  recipe_.model().train();
  optimizers_.clear();
  for (auto& spec : recipe_.optimizers()) optimizers_.emplace_back(std::move(spec));
  if (optimizers_.empty()) throw Error("the recipe declares no optimizer");
  make_reducers();
  const bool resumed = resume && load_checkpoint(/*with_optimizers=*/true);
  if (resume && !resumed)
    spdlog::warn("--resume: no checkpoint in {}, starting from scratch", run_dir_.string());
  std::unique_ptr<io::MetricsWriter> metrics;  // rank 0's
  if (o_.rank == 0) {
    metrics = std::make_unique<io::MetricsWriter>(
        run_dir_ / "metrics.jsonl", resumed ? std::optional<int64_t>(step_) : std::nullopt);
  }
  if (o_.rank == 0 && o_.tensorboard) {
    tensorboard_ =
        std::make_unique<io::TensorBoardWriter>(run_dir_ / "tensorboard", resumed ? step_ : -1);
  }
  if (!resumed) evaluate_and_record(0);

  runtime::ProgressOptions po;
  po.label = "train";
  po.unit = "step";
  po.total = o_.train.steps;
  po.start = step_;
  runtime::Progress progress(po);
  Interval interval;
  data::Batch last;
  const int64_t stop_at =
      o_.stop_after > 0 ? std::min(o_.train.steps, step_ + o_.stop_after) : o_.train.steps;
  while (step_ < stop_at) {
    const auto t0 = Clock::now();
    const double wait0 = data_wait_;
    std::vector<data::Batch> batches;
    for (int64_t a = 0; a < o_.train.grad_accum; ++a) batches.push_back(next_batch());
    optimizer_steps(batches, interval);
    int64_t step_samples = 0;
    for (const auto& b : batches) step_samples += b.size * o_.world;  // equal shards
    interval.unit = recipe_.throughput_unit();
    last = std::move(batches.back());
    ++step_;
    samples_ += step_samples;
    ++interval.steps;
    interval.seconds += seconds_since(t0);
    interval.wait += data_wait_ - wait0;
    progress.update(1, "loss " + std::to_string(interval.sums.count("loss")
                                                    ? interval.sums["loss"] /
                                                          static_cast<double>(interval.steps)
                                                    : 0.0));
    if (step_ % o_.log_every == 0 || step_ == o_.train.steps) log_interval(interval, metrics.get());
    write_sample_sheet(last);
    const bool eval_now = o_.train.eval_every > 0 && step_ % o_.train.eval_every == 0;
    if (eval_now && step_ < o_.train.steps) evaluate_and_record(step_);
    if (step_ % o_.train.checkpoint_every == 0 || step_ == o_.train.steps || step_ == stop_at) {
      if (step_ == o_.train.steps) evaluate_and_record(step_);
      save_checkpoint();
    }
  }
  loader_.reset();
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
  if (!load_checkpoint(/*with_optimizers=*/false))
    spdlog::warn("no checkpoint in {}: evaluating the initial model", run_dir_.string());
  evaluations_ = io::Json::array();
  return evaluate_and_record(step_);
}

}  // namespace setok::train
