#pragma once
// A c10d process group as the trainer uses it (DESIGN §5.13): rendezvous through a TCPStore
// hosted by rank 0, then Gloo (CPU tensors) or NCCL (CUDA tensors, where the LibTorch has it).
// Collectives block until done and turn every transport failure (a rank that died, a peer that
// stopped answering within the timeout) into one setok::Error that names this rank, the
// collective and the timeout. The c10d types stay in the source file.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "setok/dist/dist_env.h"

namespace setok::dist {

struct GroupOptions {
  std::string backend = "auto";  // auto (NCCL on CUDA, Gloo on CPU) | gloo | nccl
  double timeout_s = 300;        // rendezvous and every collective
};

enum class Reduce { kSum, kMax, kMin };

class ProcessGroup {
 public:
  // Joins the group described by `env` (blocks until every rank has arrived or the timeout
  // passes). `device` is where this rank's tensors live (cuda:LOCAL_RANK for NCCL).
  static std::shared_ptr<ProcessGroup> create(const DistEnv& env, const c10::Device& device,
                                              const GroupOptions& options);
  // Whether this build has c10d's Gloo process group (a LibTorch from a PyTorch wheel ships
  // none of Gloo's headers: NCCL only there).
  static bool has_gloo();
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int world() const;
  const std::string& backend() const;
  double timeout_s() const;

  // In place, every tensor (contiguous, on the group's device).
  void all_reduce(std::vector<at::Tensor>& tensors, Reduce op = Reduce::kSum);
  void broadcast(std::vector<at::Tensor>& tensors, int root = 0);
  // Every rank's `local` (same shape and dtype on each) -> [world, ...], rank r's at index r.
  // No gradient flows through it.
  at::Tensor all_gather(const at::Tensor& local);
  void barrier();

  // Convenience: one double reduced over the ranks.
  double all_reduce_scalar(double value, Reduce op = Reduce::kSum);

  // The c10d objects, for the dist/ sources that drive c10d directly (the DDP reducer).
  struct Impl;
  Impl& internals() { return *impl_; }

 private:
  explicit ProcessGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace setok::dist
