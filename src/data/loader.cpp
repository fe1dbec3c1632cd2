#include "setok/data/loader.h"

#include <chrono>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "setok/runtime/error.h"

namespace setok::data {

Batch collate(std::vector<Example> examples) {
  Batch b;
  b.size = static_cast<int64_t>(examples.size());
  if (examples.empty()) return b;
  for (const auto& [name, t] : examples[0].tensors) {
    std::vector<at::Tensor> parts;
    for (auto& e : examples) {
      auto it = e.tensors.find(name);
      if (it == e.tensors.end()) throw Error("collate: an example lacks tensor '" + name + "'");
      if (it->second.sizes() != t.sizes()) {
        throw Error("collate: tensor '" + name + "' has shape " + c10::str(it->second.sizes()) +
                    " in one example and " + c10::str(t.sizes()) + " in another");
      }
      parts.push_back(it->second);
    }
    b.tensors[name] = at::stack(parts);
  }
  for (auto& e : examples) {
    if (e.unstacked.size() != examples[0].unstacked.size() ||
        e.texts.size() != examples[0].texts.size() || e.ints.size() != examples[0].ints.size()) {
      throw Error("collate: examples disagree in their fields");
    }
    for (auto& [name, v] : e.unstacked) b.unstacked[name].push_back(std::move(v));
    for (auto& [name, v] : e.texts) b.texts[name].push_back(std::move(v));
    for (auto& [name, v] : e.ints) b.ints[name].push_back(v);
  }
  return b;
}

Batch Batch::head(int64_t n) const {
  if (n < 0 || n > size)
    throw Error("batch: head(" + std::to_string(n) + ") of " + std::to_string(size));
  Batch b;
  b.size = n;
  for (const auto& [k, t] : tensors) b.tensors[k] = t.narrow(0, 0, n);
  for (const auto& [k, v] : unstacked) b.unstacked[k] = {v.begin(), v.begin() + n};
  for (const auto& [k, v] : texts) b.texts[k] = {v.begin(), v.begin() + n};
  for (const auto& [k, v] : ints) b.ints[k] = {v.begin(), v.begin() + n};
  return b;
}

Loader::Loader(std::vector<int64_t> items, Fetch fetch, const LoaderOptions& o, int64_t start)
    : items_(std::move(items)),
      fetch_(std::move(fetch)),
      options_(o),
      position_(start),
      next_fetch_(start) {
  if (o.batch_size < 1) throw Error("loader: batch size must be >= 1");
  if (start < 0 || start > size()) throw Error("loader: resume position outside the epoch");
  const int workers = std::max(1, o.workers);
  for (int w = 0; w < workers; ++w) workers_.emplace_back([this] { work(); });
}

Loader::~Loader() {
  stop_ = true;
  room_.notify_all();
  for (auto& t : workers_) t.join();
}

void Loader::work() {
  const int64_t window = std::max<int64_t>(1, options_.prefetch_batches) * options_.batch_size;
  while (!stop_) {
    const int64_t i = next_fetch_++;
    if (i >= size()) return;
    {
      // Bounded prefetch: do not run more than `window` items ahead of the consumer.
      std::unique_lock<std::mutex> lock(mutex_);
      room_.wait(lock, [&] { return stop_ || i < position_ + window; });
      if (stop_) return;
    }
    Slot slot;
    try {
      slot.example = fetch_(items_[static_cast<size_t>(i)]);
    } catch (const std::exception& e) {
      slot.error = e.what();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_[i] = std::move(slot);
    }
    ready_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  std::vector<Example> examples;
  while (static_cast<int64_t>(examples.size()) < options_.batch_size && position_ < size()) {
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      const auto t0 = std::chrono::steady_clock::now();
      ready_.wait(lock, [&] { return slots_.count(position_) > 0; });
      wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      slot = std::move(slots_[position_]);
      slots_.erase(position_);
      ++position_;
    }
    room_.notify_all();
    if (!slot.error.empty()) {
      if (!options_.skip_bad) throw Error(slot.error);
      ++skipped_;
      spdlog::warn("skipping bad sample ({} skipped so far): {}", skipped_, slot.error);
      continue;
    }
    examples.push_back(std::move(*slot.example));
  }
  if (examples.empty()) return std::nullopt;
  if (options_.drop_last && static_cast<int64_t>(examples.size()) < options_.batch_size)
    return std::nullopt;
  return options_.collate ? options_.collate(std::move(examples)) : collate(std::move(examples));
}

}  // namespace setok::data
