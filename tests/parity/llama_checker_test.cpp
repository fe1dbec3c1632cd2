// The llama checker itself: it accepts other shard layouts and bf16 weights, compares logits
// only where the attention mask is 1, and fails on a wrong logit or a wrong generated token.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "fixtures.h"
#include "harness.h"
#include "setok/io/fs.h"
#include "setok/io/safetensors.h"
#include "setok/io/tensor_store.h"
#include "temp_dir.h"

namespace setok::parity {
namespace {

using Refs = std::map<std::string, at::Tensor>;

// A copy of llama_tiny with its reference tensors edited by `edit` and its weights re-stored
// by `weights` (default: as they are).
fs::path copy_fixture(const fs::path& to, const std::function<void(Refs&)>& edit,
                      c10::ScalarType weight_dtype = at::kFloat, uint64_t shard_bytes = 0) {
  const fs::path from = test::fixtures_dir() / "llama_tiny";
  fs::create_directories(to);
  fs::copy_file(from / "config.json", to / "config.json");
  fs::copy_file(from / "fixture.json", to / "fixture.json");
  const io::TensorStore store = io::TensorStore::open(from);
  io::NamedTensors weights;
  for (const auto& name : store.names()) weights.emplace_back(name, store.get(name, weight_dtype));
  if (shard_bytes > 0) {
    io::save_safetensors_sharded(to, weights, shard_bytes);
  } else {
    io::save_safetensors(to / "model.safetensors", weights);
  }
  const auto ref = io::SafetensorsFile::open(from / "reference.safetensors");
  std::map<std::string, at::Tensor> tensors;
  for (const auto& name : ref->names()) tensors[name] = ref->tensor(name).clone();
  edit(tensors);
  io::save_safetensors(to / "reference.safetensors",
                       io::NamedTensors(tensors.begin(), tensors.end()));
  return to;
}

Line kind_line(const fs::path& folder) {
  return check_folder(folder).back();
}

TEST(LlamaChecker, OtherShardLayoutsPassAndPaddedLogitsAreIgnored) {
  test::TempDir dir;
  const fs::path single = copy_fixture(dir / "single", [](Refs&) {});
  EXPECT_EQ(kind_line(single).status, Status::kOk) << kind_line(single).text();
  const fs::path three = copy_fixture(
      dir / "three", [](Refs&) {}, at::kFloat, 200000);
  EXPECT_EQ(kind_line(three).status, Status::kOk) << kind_line(three).text();
  // Row 1 is padded from position 12: its logits there are not compared.
  const fs::path padded = copy_fixture(dir / "padded", [](Refs& t) {
    ASSERT_EQ(t["attention_mask"][1][13].item<int64_t>(), 0);
    t["logits"][1][13].fill_(1e4);
  });
  EXPECT_EQ(kind_line(padded).status, Status::kOk) << kind_line(padded).text();
}

TEST(LlamaChecker, WrongLogitsOrTokensFail) {
  test::TempDir dir;
  const fs::path logits =
      copy_fixture(dir / "logits", [](Refs& t) { t["logits"][0][3][7] += 0.01; });
  const Line l = kind_line(logits);
  EXPECT_EQ(l.status, Status::kFail);
  EXPECT_NE(l.detail.find("logits[mask == 1]"), std::string::npos) << l.text();
  const fs::path tokens = copy_fixture(dir / "tokens", [](Refs& t) {
    auto& out = t["generate_output"];
    out[0][-1] = (out[0][-1].item<int64_t>() + 1) % 384;
  });
  const Line g = kind_line(tokens);
  EXPECT_EQ(g.status, Status::kFail);
  EXPECT_NE(g.detail.find("generate_output"), std::string::npos) << g.text();
}

TEST(LlamaChecker, Bf16WeightsLoadAsTheirRoundedValues) {
  // bf16 weights against the float32 reference: the load works (no dtype error) and the
  // comparison is what fails, by roughly bf16 rounding — never a crash or a wrong-kind error.
  test::TempDir dir;
  const fs::path bf16 = copy_fixture(
      dir / "bf16", [](Refs&) {}, at::kBFloat16, 100000);
  const auto store = io::TensorStore::open(bf16);
  EXPECT_EQ(store.entry("lm_head.weight").dtype, io::st::DType::kBF16);
  const Line l = kind_line(bf16);
  EXPECT_EQ(l.status, Status::kFail);
  EXPECT_EQ(l.detail.rfind("logits[mask == 1]", 0), 0u) << l.text();
}

}  // namespace
}  // namespace setok::parity
