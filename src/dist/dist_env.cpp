#include "setok/dist/dist_env.h"

#include <cstdlib>
#include <optional>

#include "setok/runtime/error.h"

namespace setok::dist {

namespace {

std::optional<std::string> lookup(const EnvLookup& getenv, const char* name) {
  const char* v = getenv ? getenv(name) : std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int parse_int(const std::string& text, const char* name, int min, int max) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < min || value > max) {
    throw Error("environment variable " + std::string(name) + "='" + text +
                "' must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                "]");
  }
  return static_cast<int>(value);
}

int required_int(const EnvLookup& getenv, const char* name, int min, int max, const char* why) {
  const auto v = lookup(getenv, name);
  if (!v) throw Error("environment variable " + std::string(name) + " is not set (" + why + ")");
  return parse_int(*v, name, min, max);
}

// Slurm's SLURM_NTASKS_PER_NODE may read "4" or "4(x2)"; the leading count is this node's.
int tasks_per_node(const std::string& text) {
  const size_t end = text.find_first_not_of("0123456789");
  return parse_int(text.substr(0, end), "SLURM_NTASKS_PER_NODE", 1, 1 << 20);
}

void check_rank(const DistEnv& e, const char* rank_name, const char* local_name) {
  if (e.rank >= e.world) {
    throw Error("environment: " + std::string(rank_name) + "=" + std::to_string(e.rank) +
                " is outside the world of " + std::to_string(e.world) + " processes");
  }
  if (e.local_rank >= e.local_world) {
    throw Error("environment: " + std::string(local_name) + "=" + std::to_string(e.local_rank) +
                " is outside the node's " + std::to_string(e.local_world) + " processes");
  }
}

void read_master(const EnvLookup& getenv, DistEnv& e) {
  const auto addr = lookup(getenv, "MASTER_ADDR");
  if (!addr && e.world > 1) {
    throw Error(
        "environment variable MASTER_ADDR is not set (the host of rank 0, where the "
        "rendezvous store listens)");
  }
  if (addr) e.master_addr = *addr;
  if (const auto port = lookup(getenv, "MASTER_PORT"))
    e.master_port = parse_int(*port, "MASTER_PORT", 1, 65535);
}

}  // namespace

DistEnv read_dist_env(const EnvLookup& getenv) {
  DistEnv e;
  if (lookup(getenv, "WORLD_SIZE") || lookup(getenv, "RANK")) {
    e.source = "torchrun";
    e.world = required_int(getenv, "WORLD_SIZE", 1, 1 << 20, "the number of processes");
    e.rank = required_int(getenv, "RANK", 0, 1 << 20, "this process's global rank");
    const auto local = lookup(getenv, "LOCAL_RANK");
    e.local_rank = local ? parse_int(*local, "LOCAL_RANK", 0, 1 << 20) : e.rank;
    const auto local_world = lookup(getenv, "LOCAL_WORLD_SIZE");
    e.local_world = local_world ? parse_int(*local_world, "LOCAL_WORLD_SIZE", 1, 1 << 20) : e.world;
    check_rank(e, "RANK", "LOCAL_RANK");
    read_master(getenv, e);
    return e;
  }
  if (lookup(getenv, "SLURM_PROCID") && lookup(getenv, "SLURM_NTASKS")) {
    e.source = "slurm";
    e.world = required_int(getenv, "SLURM_NTASKS", 1, 1 << 20, "the number of tasks");
    e.rank = required_int(getenv, "SLURM_PROCID", 0, 1 << 20, "this task's rank");
    const auto local = lookup(getenv, "SLURM_LOCALID");
    e.local_rank = local ? parse_int(*local, "SLURM_LOCALID", 0, 1 << 20) : 0;
    const auto per_node = lookup(getenv, "SLURM_NTASKS_PER_NODE");
    e.local_world = per_node ? tasks_per_node(*per_node) : 1;
    if (!per_node && e.local_rank > 0) e.local_world = e.local_rank + 1;
    check_rank(e, "SLURM_PROCID", "SLURM_LOCALID");
    read_master(getenv, e);
    return e;
  }
  return e;
}

std::string describe(const DistEnv& e) {
  if (!e.distributed()) return "one process";
  return "rank " + std::to_string(e.rank) + "/" + std::to_string(e.world) + " (local " +
         std::to_string(e.local_rank) + "/" + std::to_string(e.local_world) + ", " + e.source +
         ", master " + e.master_addr + ":" + std::to_string(e.master_port) + ")";
}

}  // namespace setok::dist
