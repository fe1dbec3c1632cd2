// The launcher's environment -> who this process is (torchrun / Slurm variables).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "errors.h"
#include "setok/dist/dist_env.h"

namespace setok::dist {
namespace {

void expect_error(const std::function<void()>& f, const std::string& part) {
  const std::string message = test::error_of(f);
  EXPECT_NE(message.find(part), std::string::npos) << "'" << message << "' lacks '" << part << "'";
}

// An environment made of `vars` only.
DistEnv read(const std::map<std::string, std::string>& vars) {
  return read_dist_env([&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(DistEnv, NoVariablesIsOneProcess) {
  const DistEnv e = read({});
  EXPECT_FALSE(e.distributed());
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.world, 1);
  EXPECT_EQ(describe(e), "one process");
}

TEST(DistEnv, TorchrunVariables) {
  const DistEnv e = read({{"RANK", "3"},
                          {"WORLD_SIZE", "4"},
                          {"LOCAL_RANK", "1"},
                          {"LOCAL_WORLD_SIZE", "2"},
                          {"MASTER_ADDR", "10.0.0.1"},
                          {"MASTER_PORT", "29600"},
                          {"SLURM_PROCID", "0"},  // torchrun's win
                          {"SLURM_NTASKS", "8"}});
  EXPECT_TRUE(e.distributed());
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world, 2);
  EXPECT_EQ(e.master_addr, "10.0.0.1");
  EXPECT_EQ(e.master_port, 29600);
  EXPECT_EQ(e.source, "torchrun");
  EXPECT_EQ(describe(e), "rank 3/4 (local 1/2, torchrun, master 10.0.0.1:29600)");
}

TEST(DistEnv, SlurmVariables) {
  const DistEnv e = read({{"SLURM_PROCID", "5"},
                          {"SLURM_NTASKS", "8"},
                          {"SLURM_LOCALID", "1"},
                          {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                          {"MASTER_ADDR", "node01"}});
  EXPECT_EQ(e.source, "slurm");
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world, 4);
  EXPECT_EQ(e.master_addr, "node01");
  EXPECT_EQ(e.master_port, 29500);  // the default
}

TEST(DistEnv, BadValuesNameTheVariable) {
  expect_error(
      [] {
        read({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}});
      },
      "RANK=2 is outside the world of 2 processes");
  expect_error([] { read({{"RANK", "x"}, {"WORLD_SIZE", "2"}}); }, "RANK='x'");
  expect_error([] { read({{"RANK", "0"}}); }, "WORLD_SIZE is not set");
  expect_error([] { read({{"RANK", "0"}, {"WORLD_SIZE", "2"}}); }, "MASTER_ADDR is not set");
  expect_error(
      [] {
        read({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}});
      },
      "MASTER_PORT='70000'");
  // One process needs no rendezvous address.
  EXPECT_FALSE(read({{"RANK", "0"}, {"WORLD_SIZE", "1"}}).distributed());
}

}  // namespace
}  // namespace setok::dist
