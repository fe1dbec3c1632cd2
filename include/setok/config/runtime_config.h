#pragma once
// Sections every app's config shares: where and how to run (`runtime`) and what to log (`log`).
#include <string>

#include "setok/config/schema.h"

namespace setok::config {

struct RuntimeConfig : Section {
  std::string device = "cpu";  // cpu, cuda, cuda:N
  int threads = 0;             // ATen intra-op threads; 0 = all cores
  int64_t seed = 0;            // seeds torch and every generator of ours

  void describe(Schema& s) override;
  void validate(const std::string& path) const override;
};

struct LogConfig : Section {
  std::string level = "info";
  bool all_ranks = false;  // let ranks other than 0 log below warnings too
  int every = 10;          // progress / metrics period, in steps

  void describe(Schema& s) override;
  void validate(const std::string& path) const override;
};

}  // namespace setok::config
