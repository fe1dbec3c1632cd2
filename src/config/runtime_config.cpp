#include "setok/config/runtime_config.h"

#include "setok/runtime/compat.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"
#include "setok/runtime/logging.h"
#include "setok/runtime/seed.h"
#include "setok/runtime/threads.h"

namespace setok::config {

void RuntimeConfig::describe(Schema& s) {
  s.field("device", device, "cpu, cuda or cuda:N");
  s.field("threads", threads, "ATen intra-op threads (0 = all cores)");
  s.field("seed", seed, "one seed for torch and every generator of the run");
  s.field("tf32", tf32, "CUDA only: TF32 tensor cores for float32 matmuls and convolutions");
}

void RuntimeConfig::validate(const std::string& path) const {
  try {
    runtime::parse_device(device);
  } catch (const Error& e) {
    fail(join(path, "device"), e.what());
  }
  if (threads < 0) fail(join(path, "threads"), "must be >= 0 (0 = all cores)");
  if (seed < 0) fail(join(path, "seed"), "must be >= 0");
}

c10::Device RuntimeConfig::apply() const {
  runtime::seed_all(static_cast<uint64_t>(seed));
  runtime::set_num_threads(threads);
  const c10::Device resolved = runtime::resolve_device(device);
  if (resolved.is_cuda()) compat::set_tf32(tf32);
  return resolved;
}

void LogConfig::describe(Schema& s) {
  s.choice("level", level, {"trace", "debug", "info", "warn", "error", "off"}, "log level");
  s.field("all_ranks", all_ranks, "ranks other than 0 also log below warnings");
  s.field("every", every, "progress and metrics period, in steps");
  s.field("tensorboard", tensorboard,
          "training runs also write TensorBoard event files (RUN/tensorboard/) and RUN/curves.png");
}

void LogConfig::validate(const std::string& path) const {
  if (every < 1) fail(join(path, "every"), "must be >= 1");
}

void DistConfig::describe(Schema& s) {
  s.choice("backend", backend, {"auto", "gloo", "nccl"},
           "collectives: auto = NCCL on CUDA, Gloo on CPU");
  s.field("timeout_s", timeout_s,
          "seconds a rank waits for the others (rendezvous, each collective) before it stops "
          "with an error");
  s.field("bucket_mb", bucket_mb, "gradient all-reduce bucket size in MiB");
  s.field("overlap", overlap,
          "average gradients during the backward pass with c10d's DDP reducer where it applies "
          "(else after it)");
}

void DistConfig::validate(const std::string& path) const {
  if (!(timeout_s > 0)) fail(join(path, "timeout_s"), "must be > 0");
  if (!(bucket_mb > 0)) fail(join(path, "bucket_mb"), "must be > 0");
}

}  // namespace setok::config

namespace setok::config {

void LogConfig::apply(int rank, int world_size, const std::filesystem::path& file) const {
  runtime::LogOptions o;
  o.file = file;
  o.level = level;
  o.rank = rank;
  o.world_size = world_size;
  o.all_ranks = all_ranks;
  runtime::init_logging(o);
}

}  // namespace setok::config
