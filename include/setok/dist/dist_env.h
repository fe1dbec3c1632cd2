#pragma once
// Who this process is in a multi-process run, read from the launcher's environment (DESIGN
// §5.13): torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT; also what scripts/launch.sh sets) or Slurm's (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, SLURM_NTASKS_PER_NODE, with MASTER_ADDR / MASTER_PORT exported by the job
// script). No variables: one process.
#include <functional>
#include <string>

namespace setok::dist {

struct DistEnv {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  int local_world = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single process";  // "torchrun" | "slurm" | "single process"

  bool distributed() const { return world > 1; }
};

// Reads the variables through `getenv` (the process environment by default). Torchrun's take
// precedence over Slurm's. Inconsistent or malformed values (RANK >= WORLD_SIZE, a port outside
// 1..65535, a multi-process world without MASTER_ADDR) are errors naming the variable.
using EnvLookup = std::function<const char*(const char*)>;
DistEnv read_dist_env(const EnvLookup& getenv = {});

// "rank 1/4 (local 1/2, torchrun, master 10.0.0.1:29500)".
std::string describe(const DistEnv& env);

}  // namespace setok::dist
