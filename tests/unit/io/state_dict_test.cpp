#include "setok/io/state_dict.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::io {
namespace {

// A small module tree: fc (Linear 4->3), norm (LayerNorm 3), a buffer "steps".
struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
    steps = register_buffer("steps", at::zeros({1}, at::kLong));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  at::Tensor steps;
};

NamedTensors foreign_state() {
  // The same tensors as TinyImpl under other names, as an HF checkpoint would have them.
  return {{"encoder.dense.weight", at::arange(12, at::kFloat).reshape({3, 4})},
          {"encoder.dense.bias", at::tensor({1.f, 2.f, 3.f})},
          {"encoder.LayerNorm.weight", at::full({3}, 0.5f)},
          {"encoder.LayerNorm.bias", at::full({3}, -0.5f)},
          {"encoder.steps", at::tensor({7}, at::kLong)}};
}

NameMap foreign_map() {
  NameMap map;
  map.prefix("encoder.", "").replace("dense.", "fc.").replace("LayerNorm.", "norm.");
  return map;
}

TEST(StateDict, ModuleStateListsParametersAndBuffers) {
  TinyImpl m;
  std::vector<std::string> names;
  for (const auto& [n, t] : module_state(m)) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"fc.weight", "fc.bias", "norm.weight", "norm.bias",
                                             "steps"}));
}

TEST(StateDict, SaveLoadRoundTrip) {
  test::TempDir dir;
  TinyImpl a, b;
  {
    at::NoGradGuard g;
    a.fc->weight.uniform_(-1, 1);
    a.steps.fill_(42);
  }
  save_state(a, dir / "m.safetensors");
  const auto report = load_state(b, TensorStore::open(dir / "m.safetensors"));
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.loaded.size(), 5u);
  EXPECT_TRUE(at::equal(a.fc->weight, b.fc->weight));
  EXPECT_EQ(b.steps.item<int64_t>(), 42);
}

TEST(StateDict, NameMapLoadsForeignCheckpointAndConvertsDtype) {
  test::TempDir dir;
  NamedTensors state = foreign_state();
  state[0].second = state[0].second.to(at::kBFloat16);  // stored in bf16, module is fp32
  save_safetensors(dir / "hf.safetensors", state);
  TinyImpl m;
  LoadOptions options;
  options.name_map = foreign_map();
  const auto report = load_state(m, TensorStore::open(dir / "hf.safetensors"), options);
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(m.fc->weight.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(m.fc->weight, at::arange(12, at::kFloat).reshape({3, 4})));
  EXPECT_TRUE(at::equal(m.norm->bias, at::full({3}, -0.5f)));
  EXPECT_EQ(m.steps.item<int64_t>(), 7);
}

TEST(StateDict, StrictLoadReportsEveryProblemAndLoadsNothing) {
  test::TempDir dir;
  NamedTensors state = foreign_state();
  state.erase(state.begin() + 3);                                  // norm.bias missing
  state[2].second = at::zeros({5});                                // norm.weight wrong shape
  state.emplace_back("encoder.pooler.weight", at::zeros({2, 2}));  // unexpected
  save_safetensors(dir / "bad.safetensors", state);
  TinyImpl m;
  const at::Tensor before = m.fc->weight.clone();
  LoadOptions options;
  options.name_map = foreign_map();
  try {
    load_state(m, TensorStore::open(dir / "bad.safetensors"), options);
    FAIL() << "strict load accepted a mismatching checkpoint";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("missing: norm.bias"), std::string::npos) << what;
    EXPECT_NE(what.find("unexpected: encoder.pooler.weight (as pooler.weight)"), std::string::npos)
        << what;
    EXPECT_NE(
        what.find("shape mismatch: norm.weight [3] vs checkpoint encoder.LayerNorm.weight [5]"),
        std::string::npos)
        << what;
  }
  EXPECT_TRUE(at::equal(m.fc->weight, before));  // untouched
}

TEST(StateDict, NonStrictLoadsWhatMatchesAndReports) {
  test::TempDir dir;
  NamedTensors state = foreign_state();
  state.erase(state.begin() + 3);
  state.emplace_back("encoder.extra", at::zeros({1}));
  save_safetensors(dir / "partial.safetensors", state);
  TinyImpl m;
  LoadOptions options;
  options.strict = false;
  options.name_map = foreign_map();
  const auto report = load_state(m, TensorStore::open(dir / "partial.safetensors"), options);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.missing, std::vector<std::string>{"norm.bias"});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"encoder.extra (as extra)"});
  EXPECT_EQ(report.loaded.size(), 4u);
  EXPECT_TRUE(at::equal(m.norm->weight, at::full({3}, 0.5f)));
}

TEST(StateDict, IgnoredKeysAreNotUnexpected) {
  test::TempDir dir;
  NamedTensors state = foreign_state();
  state.emplace_back("encoder.position_ids", at::arange(4));
  save_safetensors(dir / "x.safetensors", state);
  TinyImpl m;
  LoadOptions options;
  options.name_map = foreign_map();
  options.name_map.ignore(R"(.*position_ids)");
  const auto report = load_state(m, TensorStore::open(dir / "x.safetensors"), options);
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.ignored, std::vector<std::string>{"encoder.position_ids"});
}

TEST(StateDict, TwoCheckpointNamesForOneModuleTensorIsAnError) {
  test::TempDir dir;
  NamedTensors state = foreign_state();
  state.emplace_back("fc.weight", at::zeros({3, 4}));  // "encoder.dense.weight" maps here too
  save_safetensors(dir / "dup.safetensors", state);
  TinyImpl m;
  LoadOptions options;
  options.name_map = foreign_map();
  EXPECT_THROW(load_state(m, TensorStore::open(dir / "dup.safetensors"), options), Error);
}

}  // namespace
}  // namespace setok::io
