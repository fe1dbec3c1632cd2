#pragma once
// A threaded loader: worker threads decode and preprocess examples into a bounded prefetch
// buffer; batches come out in the list's order whatever the workers' timing, so runs are
// reproducible and resumable at an item position.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::data {

// One decoded example: named tensors (stacked by collate), tensors kept per example (any shape,
// e.g. instance masks at each image's own resolution), texts and integers.
struct Example {
  std::map<std::string, at::Tensor> tensors;
  std::map<std::string, at::Tensor> unstacked;
  std::map<std::string, std::vector<std::string>> texts;
  std::map<std::string, int64_t> ints;
};

struct Batch {
  std::map<std::string, at::Tensor> tensors;                           // [B, ...]
  std::map<std::string, std::vector<at::Tensor>> unstacked;            // [B] of any shape
  std::map<std::string, std::vector<std::vector<std::string>>> texts;  // [B][...]
  std::map<std::string, std::vector<int64_t>> ints;                    // [B]
  int64_t size = 0;

  // The first n examples (n <= size).
  Batch head(int64_t n) const;
};

// Stacks tensors by name (shapes must agree; errors name the key); unstacked tensors, texts and
// integers become per-example lists (every example must have the same keys).
Batch collate(std::vector<Example> examples);

struct LoaderOptions {
  // How a batch's examples become a batch (default: collate). Runs on the consumer's thread.
  std::function<Batch(std::vector<Example>)> collate;
  int64_t batch_size = 8;
  int workers = 2;
  int64_t prefetch_batches = 4;
  bool drop_last = true;
  bool skip_bad = false;  // a fetch error becomes a counted, logged skip instead of an error
};

class Loader {
 public:
  // fetch(item) builds the example for one entry of `items`; it throws setok::Error naming the
  // file / record for bad data. Reading starts at `start` (items already consumed this epoch).
  using Fetch = std::function<Example(int64_t item)>;
  Loader(std::vector<int64_t> items, Fetch fetch, const LoaderOptions& options, int64_t start = 0);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next batch, or nullopt at the end of the list (a short last batch is dropped with
  // drop_last).
  std::optional<Batch> next();

  int64_t position() const { return position_; }  // items consumed, skipped ones included
  int64_t skipped() const { return skipped_; }
  double wait_seconds() const { return wait_seconds_; }  // time next() spent waiting on workers
  int64_t size() const { return static_cast<int64_t>(items_.size()); }

 private:
  struct Slot {
    std::optional<Example> example;
    std::string error;
  };
  void work();

  std::vector<int64_t> items_;
  Fetch fetch_;
  LoaderOptions options_;
  int64_t position_;
  int64_t skipped_ = 0;
  double wait_seconds_ = 0;
  std::atomic<int64_t> next_fetch_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable ready_;  // a slot was filled
  std::condition_variable room_;   // the consumer advanced
  std::map<int64_t, Slot> slots_;
  std::vector<std::thread> workers_;
};

}  // namespace setok::data
