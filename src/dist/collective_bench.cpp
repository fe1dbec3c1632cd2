#include "setok/dist/collective_bench.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/runtime/error.h"
#include "setok/runtime/timing.h"

namespace setok::dist {

CollectiveBenchResult bench_all_reduce(ProcessGroup& group, const c10::Device& device,
                                       const CollectiveBenchOptions& o) {
  if (o.iters < 1 || o.warmup < 0 || o.sizes_kib.empty())
    throw Error("bench dist: need iters >= 1, warmup >= 0 and at least one size");
  CollectiveBenchResult r;
  r.backend = group.backend();
  r.device = device.str();
  r.world = group.world();
  for (const int64_t kib : o.sizes_kib) {
    if (kib < 1) throw Error("bench dist: sizes are KiB >= 1, got " + std::to_string(kib));
    std::vector<at::Tensor> message{
        at::ones({kib * 1024 / 4}, at::TensorOptions().dtype(at::kFloat).device(device))};
    group.barrier();  // every rank starts the size together
    CollectiveBenchRow row;
    row.bytes = kib * 1024;
    const double local_ms =
        runtime::median_ms(device, o.warmup, o.iters, [&] { group.all_reduce(message); });
    // Rank 0's timing for everyone, so every rank prints the same table.
    at::Tensor t = at::full({1}, group.rank() == 0 ? local_ms : 0.0, at::kDouble);
    std::vector<at::Tensor> v{t};
    group.all_reduce(v);
    row.ms = t.item<double>();
    row.algbw_gbs = static_cast<double>(row.bytes) / (row.ms * 1e-3) / 1e9;
    row.busbw_gbs = row.algbw_gbs * 2.0 * (r.world - 1) / r.world;
    r.rows.push_back(row);
  }
  return r;
}

io::Json CollectiveBenchResult::to_json() const {
  io::Json rows_json = io::Json::array();
  for (const auto& row : rows) {
    rows_json.push_back({{"bytes", row.bytes},
                         {"ms", row.ms},
                         {"algbw_gb_s", row.algbw_gbs},
                         {"busbw_gb_s", row.busbw_gbs}});
  }
  return {{"backend", backend}, {"device", device}, {"world", world}, {"all_reduce", rows_json}};
}

std::string CollectiveBenchResult::to_text() const {
  std::string s =
      fmt::format("all-reduce, {} ranks, {} on {} (float32 sum; median)\n", world, backend, device);
  s += fmt::format("{:>12} {:>10} {:>12} {:>12}\n", "bytes", "ms", "algbw GB/s", "busbw GB/s");
  for (const auto& row : rows) {
    s += fmt::format("{:>12} {:>10.3f} {:>12.3f} {:>12.3f}\n", row.bytes, row.ms, row.algbw_gbs,
                     row.busbw_gbs);
  }
  return s;
}

}  // namespace setok::dist
