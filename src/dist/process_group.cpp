// c10d declares its Gloo process group only under this define (both LibTorch flavours have it).
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif

#include "setok/dist/process_group.h"

#include <cstdlib>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "c10d_compat.h"
#if SETOK_HAS_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "process_group_impl.h"
#include "setok/runtime/error.h"

namespace setok::dist {

namespace {

c10d::ReduceOp to_c10d(Reduce op) {
  switch (op) {
    case Reduce::kMax:
      return c10d::ReduceOp::MAX;
    case Reduce::kMin:
      return c10d::ReduceOp::MIN;
    case Reduce::kSum:
    default:
      return c10d::ReduceOp::SUM;
  }
}

std::string resolve_backend(const std::string& wanted, const c10::Device& device) {
  std::string b = wanted == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : wanted;
  if (b != "gloo" && b != "nccl")
    throw Error("dist.backend must be auto, gloo or nccl, got '" + wanted + "'");
#ifndef USE_C10D_NCCL
  if (b == "nccl") {
    throw Error(
        "dist.backend nccl: this build's LibTorch has no NCCL (a CPU LibTorch); use gloo, or "
        "build against a CUDA LibTorch");
  }
#endif
#if !SETOK_HAS_GLOO
  if (b == "gloo") {
    throw Error(
        "dist.backend gloo: this build's LibTorch came without Gloo's headers (a PyTorch "
        "wheel's); use nccl on CUDA devices, or build against a LibTorch that ships them "
        "(Debian's libtorch-dev with libgloo-dev, or the official LibTorch archive)");
  }
#endif
  if (b == "nccl" && !device.is_cuda())
    throw Error("dist.backend nccl needs a CUDA device, the run is on " + device.str());
  return b;
}

#if SETOK_HAS_GLOO
// Gloo's transport device: GLOO_SOCKET_IFNAME (as PyTorch reads it) or the host's address,
// falling back to loopback for single-node runs on machines whose hostname does not resolve.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (env.master_addr == "127.0.0.1" || env.master_addr == "localhost")
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

}  // namespace

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

bool ProcessGroup::has_gloo() {
  return SETOK_HAS_GLOO != 0;
}
ProcessGroup::~ProcessGroup() = default;

std::shared_ptr<ProcessGroup> ProcessGroup::create(const DistEnv& env, const c10::Device& device,
                                                   const GroupOptions& options) {
  if (!(options.timeout_s > 0)) throw Error("dist.timeout_s must be > 0");
  auto impl = std::make_unique<Impl>();
  impl->rank = env.rank;
  impl->world = env.world;
  impl->backend = resolve_backend(options.backend, device);
  impl->timeout_s = options.timeout_s;
  impl->device = device;
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(env.master_port);
  so.isServer = env.rank == 0;
  so.numWorkers = static_cast<std::size_t>(env.world);
  so.waitWorkers = true;
  so.timeout = to_ms(options.timeout_s);
  c10d_compat::use_plain_tcp_store(so);
  try {
    impl->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw Error(
        "rank " + std::to_string(env.rank) + ": rendezvous at " + env.master_addr + ":" +
        std::to_string(env.master_port) + " failed within dist.timeout_s = " +
        std::to_string(static_cast<int64_t>(options.timeout_s)) +
        " s (is every rank started, and MASTER_ADDR / MASTER_PORT the same on each?): " + e.what());
  }
  try {
    if (impl->backend == "gloo") {
#if SETOK_HAS_GLOO
      auto go = c10d::ProcessGroupGloo::Options::create(to_ms(options.timeout_s));
      go->devices.push_back(gloo_device(env));
      impl->group =
          c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world, go);
#endif
    } else {
#ifdef USE_C10D_NCCL
      auto no = c10d::ProcessGroupNCCL::Options::create();
      no->timeout = to_ms(options.timeout_s);
      impl->group =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, env.rank, env.world, no);
#endif
    }
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env.rank) + ": could not start the " + impl->backend +
                " process group: " + e.what());
  }
  spdlog::info("dist: {} joined a {} group of {}", describe(env), impl->backend, env.world);
  return std::shared_ptr<ProcessGroup>(new ProcessGroup(std::move(impl)));
}

int ProcessGroup::rank() const {
  return impl_->rank;
}
int ProcessGroup::world() const {
  return impl_->world;
}
const std::string& ProcessGroup::backend() const {
  return impl_->backend;
}
double ProcessGroup::timeout_s() const {
  return impl_->timeout_s;
}

void ProcessGroup::all_reduce(std::vector<at::Tensor>& tensors, Reduce op) {
  if (tensors.empty()) return;
  c10d::AllreduceOptions o;
  o.reduceOp = to_c10d(op);
  o.timeout = to_ms(impl_->timeout_s);
  // Host-side control values (flags, counts) travel on the group's device (NCCL: CUDA only).
  std::vector<at::Tensor> wire;
  for (const at::Tensor& t : tensors) wire.push_back(t.to(impl_->device));
  impl_->run("all_reduce", [&] { return impl_->group->allreduce(wire, o); });
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!wire[i].is_same(tensors[i])) tensors[i].copy_(wire[i]);
  }
}

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
  if (tensors.empty()) return;
  for (at::Tensor& t : tensors) {
    std::vector<at::Tensor> one{t.to(impl_->device)};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    o.timeout = to_ms(impl_->timeout_s);
    impl_->run("broadcast", [&] { return impl_->group->broadcast(one, o); });
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

at::Tensor ProcessGroup::all_gather(const at::Tensor& local) {
  const at::Tensor in = local.detach().to(impl_->device).contiguous();
  std::vector<at::Tensor> inputs{in};
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < impl_->world; ++r) outputs[0].push_back(at::empty_like(in));
  c10d::AllgatherOptions o;
  o.timeout = to_ms(impl_->timeout_s);
  impl_->run("all_gather", [&] { return impl_->group->allgather(outputs, inputs, o); });
  return at::stack(outputs[0]).to(local.device());  // [world, ...]
}

void ProcessGroup::barrier() {
  // A tiny all-reduce rather than c10d's barrier: the same code path, errors and timeout on
  // every backend.
  at::Tensor t = at::zeros({1}, at::TensorOptions().device(impl_->device));
  std::vector<at::Tensor> v{t};
  all_reduce(v);
}

double ProcessGroup::all_reduce_scalar(double value, Reduce op) {
  at::Tensor t = at::full({1}, value, at::TensorOptions().dtype(at::kDouble).device(impl_->device));
  std::vector<at::Tensor> v{t};
  all_reduce(v, op);
  return v[0].item<double>();
}

}  // namespace setok::dist
