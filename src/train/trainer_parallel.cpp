// The data-parallel side of the training engine (docs/distributed.md): joining the group,
// choosing how gradients are averaged, sharing loss checks and metrics across ranks, and
// re-sharding data cursors on resume.
#include <cmath>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "setok/dist/grad_sync.h"
#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/train/trainer.h"

namespace setok::train {

namespace fs = std::filesystem;

void Trainer::restore_position(const io::Json& state, const fs::path& dir) {
  const int saved_world = state.value("world", 1);
  std::vector<int64_t> positions;
  if (state.contains("positions")) {
    positions = state.at("positions").get<std::vector<int64_t>>();
  } else {  // checkpoints before per-rank cursors: every rank sat at rank 0's position
    positions.assign(static_cast<size_t>(saved_world), state.at("position").get<int64_t>());
  }
  if (static_cast<int>(positions.size()) != saved_world)
    throw Error(dir.string() + "/trainer.json: 'positions' must hold one cursor per rank");
  if (saved_world == o_.world) {
    position_ = positions[static_cast<size_t>(o_.rank)];
    return;
  }
  // Even shards: the ranks' cursors together cover the first `consumed` items of the epoch's
  // order, which the new ranks split again.
  int64_t consumed = 0;
  for (int64_t p : positions) consumed += p;
  position_ = consumed / o_.world;
  spdlog::info(
      "{}: saved by {} ranks, resuming on {}: the epoch's {} consumed samples re-sharded "
      "(each rank continues at item {} of its shard{})",
      dir.string(), saved_world, o_.world, consumed, position_,
      consumed % o_.world
          ? ", " + std::to_string(consumed % o_.world) + " samples of the epoch are read again"
          : "");
}

void Trainer::join_group() {
  dist::ProcessGroup& g = *o_.group;
  // The resolved configs must agree (a rank started with other flags would train another run).
  const std::string text = o_.resolved_config.dump();
  const auto hash = static_cast<int64_t>(runtime::stable_hash(text) >> 2);
  const at::Tensor all = g.all_gather(at::full({1}, hash, at::kLong)).view(-1);  // [W]
  std::string differ;
  for (int r = 0; r < g.world(); ++r) {
    if (all[r].item<int64_t>() != all[0].item<int64_t>())
      differ += (differ.empty() ? "" : ", ") + std::to_string(r);
  }
  if (!differ.empty()) {
    throw Error("rank " + std::to_string(g.rank()) + ": the resolved config of rank(s) " + differ +
                " differs from rank 0's (every rank must run the same config and --set flags)");
  }
  std::vector<at::Tensor> state;
  for (const auto& p : recipe_.model().parameters(/*recurse=*/true)) state.push_back(p);
  for (const auto& b : recipe_.model().buffers(/*recurse=*/true)) state.push_back(b);
  dist::broadcast_tensors(g, state);
  recipe_.set_group(o_.group);
  spdlog::info("data parallel: {} ranks ({}), global batch {} = {} per rank x {} x {} accumulation",
               g.world(), g.backend(), o_.train.batch_size * g.world() * o_.train.grad_accum,
               o_.train.batch_size, g.world(), o_.train.grad_accum);
}

void Trainer::make_reducers() {
  reducers_.clear();
  if (!o_.group) return;
  std::string why;
  if (!o_.overlap) {
    why = "dist.overlap is off";
  } else if (o_.train.grad_accum > 1) {
    // LibTorch 1.13's Reducer forgets which parameters micro-steps without synchronisation
    // used: one used only there would keep a rank-local gradient (seen in a probe).
    why = "gradient accumulation: one all-reduce per step after the last micro-batch";
  } else if (recipe_.recomputes_activations()) {
    why = "activation checkpointing recomputes blocks outside the graph the Reducer walks";
  }
  if (!why.empty()) {
    spdlog::info("data parallel: gradients averaged after the backward pass ({})", why);
    return;
  }
  for (const Optimizer& opt : optimizers_) {
    std::vector<at::Tensor> trainable;
    for (const at::Tensor& p : opt.params()) {
      if (p.requires_grad()) trainable.push_back(p);
    }
    reducers_.push_back(std::make_unique<dist::DdpReducer>(o_.group, trainable, o_.bucket_mb));
  }
  spdlog::info(
      "data parallel: gradients averaged during the backward pass (c10d Reducer of LibTorch {}, "
      "buckets of {} MiB)",
      compat::torch_version(), o_.bucket_mb);
}

void Trainer::check_finite(const std::string& what, double loss) {
  const bool bad = !std::isfinite(loss);
  if (!o_.group) {
    if (bad) {
      throw Error("non-finite " + what + " at step " + std::to_string(step_) +
                  "; lower train.lr or check the data");
    }
    return;
  }
  const at::Tensor flags = o_.group->all_gather(at::full({1}, bad ? 1 : 0, at::kInt)).view(-1);
  std::string ranks;
  for (int r = 0; r < o_.world; ++r) {
    if (flags[r].item<int>() != 0) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  }
  if (!ranks.empty()) {
    throw Error("non-finite " + what + " at step " + std::to_string(step_) + " on rank(s) " +
                ranks + "; every rank stops. Lower train.lr or check the data");
  }
}

void Trainer::average_over_ranks(std::map<std::string, double>& sums) {
  if (!o_.group || sums.empty()) return;
  std::string keys;
  for (const auto& kv : sums) keys += kv.first + ";";
  const auto hash = static_cast<int64_t>(runtime::stable_hash(keys) >> 2);
  const at::Tensor all = o_.group->all_gather(at::full({1}, hash, at::kLong)).view(-1);
  if (!all.eq(hash).all().item<bool>()) return;  // ranks logged different terms: keep rank 0's
  std::vector<double> values;
  for (const auto& kv : sums) values.push_back(kv.second);
  at::Tensor t = at::tensor(values, at::kDouble);
  std::vector<at::Tensor> v{t};
  o_.group->all_reduce(v);
  size_t i = 0;
  for (auto& kv : sums) kv.second = t[static_cast<int64_t>(i++)].item<double>() / o_.world;
}

}  // namespace setok::train
