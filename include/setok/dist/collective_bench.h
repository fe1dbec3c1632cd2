#pragma once
// `setok_bench dist`: all-reduce bandwidth of the process group by message size (what gradient
// buckets cost), measured inside a launched world (scripts/launch.sh, torchrun, srun).
#include <string>
#include <vector>

#include "setok/dist/process_group.h"
#include "setok/io/json.h"

namespace setok::dist {

struct CollectiveBenchOptions {
  std::vector<int64_t> sizes_kib = {4, 64, 1024, 16384, 65536};  // float32 messages
  int64_t iters = 10;
  int64_t warmup = 2;
};

struct CollectiveBenchRow {
  int64_t bytes = 0;
  double ms = 0;         // one all-reduce (median over iters)
  double algbw_gbs = 0;  // bytes / time
  double busbw_gbs = 0;  // algbw * 2 (W - 1) / W: the traffic each link carries in a ring
};

struct CollectiveBenchResult {
  std::string backend, device;
  int world = 1;
  std::vector<CollectiveBenchRow> rows;
  io::Json to_json() const;
  std::string to_text() const;
};

// Every rank runs it (collectives); every rank gets the same table (rank 0's timings).
CollectiveBenchResult bench_all_reduce(ProcessGroup& group, const c10::Device& device,
                                       const CollectiveBenchOptions& options);

}  // namespace setok::dist
