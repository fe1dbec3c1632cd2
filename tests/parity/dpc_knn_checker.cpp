// kind "setok_dpc_knn": the released DPC-KNN (tie-break noise zeroed) and the 2-D position
// encoding. Cases are discovered from "<case>.x" keys, encodings from "pe2d.h<H>_w<W>_c<C>".
#include <regex>
#include <set>

#include <ATen/ATen.h>

#include "compare.h"
#include "harness.h"
#include "setok/io/safetensors.h"
#include "setok/tokenizer/dpc_knn.h"
#include "setok/tokenizer/position_encoding.h"

namespace setok::parity {
namespace {

std::string check_dpc_knn(const fs::path& folder) {
  const auto ref = io::SafetensorsFile::open(folder / "reference.safetensors");
  std::set<std::string> cases;
  const std::regex pe_name(R"(pe2d\.h(\d+)_w(\d+)_c(\d+))");
  size_t encodings = 0;
  for (const auto& name : ref->names()) {
    std::smatch m;
    if (name.size() > 2 && name.compare(name.size() - 2, 2, ".x") == 0) {
      cases.insert(name.substr(0, name.size() - 2));
    } else if (std::regex_match(name, m, pe_name)) {
      const at::Tensor pe =
          tokenizer::position_encoding_2d(std::stoll(m[1]), std::stoll(m[2]), std::stoll(m[3]));
      expect_close(name, pe, ref->tensor(name, at::kFloat), 1e-4, 1e-5);
      ++encodings;
    }
  }
  if (cases.empty()) throw Failure("no <case>.x tensors");
  for (const auto& c : cases) {
    tokenizer::DpcKnnOptions o;
    o.k = ref->tensor(c + ".k", at::kLong).item<int64_t>();
    o.threshold = ref->tensor(c + ".threshold", at::kDouble).item<double>();
    o.min_clusters = ref->tensor(c + ".min_clusters", at::kLong).item<int64_t>();
    o.tie_noise = false;  // the reference zeroed it
    // The released single-image port takes a per-column maximum for the densest points.
    o.parent_distance = tokenizer::ParentDistance::kColumnMax;
    const at::Tensor x = ref->tensor(c + ".x", at::kFloat).to(parity_device());  // [N, C]
    const tokenizer::Clusters got = tokenizer::dpc_knn(x.unsqueeze(0), o);
    expect_equal(c + ".centres", got.centres[0], ref->tensor(c + ".centres", at::kLong));
    expect_equal(c + ".assignment", got.assignment[0], ref->tensor(c + ".assignment", at::kLong));
    const at::Tensor score = ref->tensor(c + ".score", at::kFloat);
    // Scores are a density (exp of a mean of squared distances) times a distance: float32
    // kernels that order the reductions differently move them by a few 1e-5 relative (seen on
    // an H200: 1.0e-5 absolute at 0.219). Centres and assignments above are exact.
    expect_close(c + ".score", got.scores.view(score.sizes()), score, 1e-4, 1e-5);
  }
  return std::to_string(cases.size()) + " cases, " + std::to_string(encodings) + " encodings";
}

const Registrar kRegistrar("setok_dpc_knn", check_dpc_knn);

}  // namespace
}  // namespace setok::parity
