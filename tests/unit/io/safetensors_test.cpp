#include "setok/io/safetensors.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "fixtures.h"
#include "safetensors_bytes.h"
#include "setok/io/fs.h"
#include "setok/io/json.h"
#include "setok/io/tensor_store.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::io {
namespace {

namespace fs = std::filesystem;

// One tensor of every supported dtype with non-trivial values.
NamedTensors every_dtype() {
  at::manual_seed(3);
  const auto f = at::randn({3, 4}, at::kDouble);
  return {
      {"f32", f.to(at::kFloat)},
      {"f16", f.to(at::kHalf)},
      {"bf16", f.to(at::kBFloat16)},
      {"f64", f},
      {"i64", at::arange(-6, 6, at::kLong).reshape({2, 6}) * int64_t{1000000007}},
      {"i32", at::arange(-5, 5, at::kInt) * 100000},
      {"i16", at::arange(-4, 4, at::kShort) * 1000},
      {"i8", at::arange(-128, 128, 37, at::kChar)},
      {"u8", at::arange(0, 256, 51, at::kByte)},
      {"bool", at::tensor({1, 0, 0, 1, 1}, at::kInt).to(at::kBool)},
      {"scalar", at::scalar_tensor(2.5, at::kFloat)},
      {"empty", at::empty({0, 7}, at::kFloat)},
  };
}

TEST(Safetensors, RoundTripEveryDtype) {
  test::TempDir dir;
  const auto tensors = every_dtype();
  save_safetensors(dir / "all.safetensors", tensors, {{"producer", "test"}});
  const auto file = SafetensorsFile::open(dir / "all.safetensors");
  EXPECT_EQ(file->header().metadata.at("producer"), "test");
  EXPECT_EQ(file->names().size(), tensors.size());
  for (const auto& [name, expected] : tensors) {
    const at::Tensor got = file->tensor(name);
    EXPECT_EQ(got.scalar_type(), expected.scalar_type()) << name;
    EXPECT_EQ(got.sizes(), expected.sizes()) << name;
    EXPECT_TRUE(at::equal(got, expected)) << name;
  }
}

TEST(Safetensors, TensorsOutliveTheFileObjectAndNeverWriteBack) {
  test::TempDir dir;
  const auto path = dir / "w.safetensors";
  save_safetensors(path, {{"w", at::arange(16, at::kFloat)}});
  const std::string before = read_file(path);
  at::Tensor t;
  {
    auto file = SafetensorsFile::open(path);
    t = file->tensor("w");
  }
  EXPECT_FLOAT_EQ(t[15].item<float>(), 15.f);
  t.mul_(2);  // private mapping: must not reach the file
  EXPECT_FLOAT_EQ(t[15].item<float>(), 30.f);
  EXPECT_EQ(read_file(path), before);
}

TEST(Safetensors, MisalignedDataIsCopiedCorrectly) {
  // A header whose length is not a multiple of 8 puts the F64 data at an odd address.
  test::TempDir dir;
  const std::string header = R"({"x":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}})";
  ASSERT_NE((8 + header.size()) % 8, 0u);
  const double values[3] = {1.5, -2.25, 1e300};
  test::write_bytes(
      dir / "odd.safetensors",
      test::safetensors_bytes(header, std::string(reinterpret_cast<const char*>(values), 24)));
  const at::Tensor x = SafetensorsFile::open(dir / "odd.safetensors")->tensor("x");
  EXPECT_DOUBLE_EQ(x[0].item<double>(), 1.5);
  EXPECT_DOUBLE_EQ(x[1].item<double>(), -2.25);
  EXPECT_DOUBLE_EQ(x[2].item<double>(), 1e300);
}

TEST(Safetensors, ConvertsToRequestedDtype) {
  test::TempDir dir;
  save_safetensors(dir / "h.safetensors", {{"h", at::tensor({0.5, -1.0, 3.0}).to(at::kHalf)}});
  const at::Tensor f = SafetensorsFile::open(dir / "h.safetensors")->tensor("h", at::kFloat);
  EXPECT_EQ(f.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(f, at::tensor({0.5f, -1.0f, 3.0f})));
}

TEST(Safetensors, NonContiguousInputsAreWrittenInLogicalOrder) {
  test::TempDir dir;
  const at::Tensor base = at::arange(12, at::kFloat).reshape({3, 4});
  save_safetensors(dir / "t.safetensors", {{"t", base.t()}});
  EXPECT_TRUE(at::equal(SafetensorsFile::open(dir / "t.safetensors")->tensor("t"), base.t()));
}

TEST(Safetensors, WriterErrorsNameFileAndTensor) {
  test::TempDir dir;
  try {
    save_safetensors(dir / "c.safetensors", {{"z", at::zeros({2}, at::kComplexFloat)}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.safetensors: tensor 'z'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(
      save_safetensors(dir / "d.safetensors", {{"a", at::zeros({1})}, {"a", at::zeros({1})}}),
      Error);
  EXPECT_FALSE(fs::exists(dir / "d.safetensors"));
  EXPECT_THROW(SafetensorsFile::open(dir / "nothing.safetensors"), Error);
}

TEST(Safetensors, MissingTensorNamesFileAndTensor) {
  const auto file = SafetensorsFile::open(test::fixtures_dir() / "bert_tiny" / "model.safetensors");
  try {
    file->tensor("no.such.weight");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("no.such.weight"), std::string::npos) << what;
  }
}

TEST(Safetensors, CorruptFilesFailCleanlyThroughTheTorchReader) {
  test::TempDir dir;
  for (const auto& c : test::corrupt_safetensors_cases()) {
    const auto path = dir / (c.name + ".safetensors");
    test::write_bytes(path, c.bytes);
    try {
      SafetensorsFile::open(path);
      ADD_FAILURE() << c.name << ": opened without error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(path.string() + ": ", 0), 0u) << c.name << ": " << what;
      EXPECT_NE(what.find(c.expected), std::string::npos) << c.name << ": " << what;
    }
    EXPECT_THROW(TensorStore::open(path), Error) << c.name;
  }
}

TEST(TensorStore, ShardedLlamaLoadsAsTheUnionOfItsShards) {
  const fs::path folder = test::fixtures_dir() / "llama_tiny";
  const TensorStore store = TensorStore::open(folder);
  ASSERT_TRUE(store.sharded());
  const Json index = read_json(folder / "model.safetensors.index.json");
  const auto& weight_map = index["weight_map"];
  EXPECT_EQ(store.size(), weight_map.size());
  std::set<std::string> shard_names;
  for (const auto& [name, shard] : weight_map.items()) {
    ASSERT_TRUE(store.contains(name)) << name;
    EXPECT_EQ(store.file_of(name).path().filename().string(), shard.get<std::string>()) << name;
    shard_names.insert(shard.get<std::string>());
    // Same bytes as opening the shard directly.
    const at::Tensor direct =
        SafetensorsFile::open(folder / shard.get<std::string>())->tensor(name);
    EXPECT_TRUE(at::equal(store.get(name), direct)) << name;
  }
  EXPECT_EQ(store.files().size(), shard_names.size());
  uint64_t bytes = 0;
  for (const auto& n : store.names()) bytes += store.entry(n).nbytes();
  EXPECT_EQ(bytes, index["metadata"]["total_size"].get<uint64_t>());
  // The index file itself opens the same set.
  EXPECT_EQ(TensorStore::open(folder / "model.safetensors.index.json").names(), store.names());
}

TEST(TensorStore, ShardedWriterRoundTrips) {
  test::TempDir dir;
  NamedTensors tensors;
  for (int i = 0; i < 7; ++i) {
    tensors.emplace_back("layer." + std::to_string(i) + ".w", at::full({10, 10}, i, at::kFloat));
  }
  const auto written = save_safetensors_sharded(dir.path(), tensors, /*max_shard_bytes=*/1000);
  ASSERT_EQ(written.back().filename(), "model.safetensors.index.json");
  // 400-byte tensors in 1000-byte shards: 2 + 2 + 2 + 1, then the index.
  EXPECT_EQ(written.size(), 5u);
  const TensorStore store = TensorStore::open(dir.path());
  EXPECT_TRUE(store.sharded());
  EXPECT_EQ(store.size(), 7u);
  for (const auto& [name, t] : tensors) EXPECT_TRUE(at::equal(store.get(name), t)) << name;

  test::TempDir single;
  const auto one = save_safetensors_sharded(single.path(), tensors, 1u << 20);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].filename(), "model.safetensors");
}

TEST(TensorStore, InconsistentIndexesAreErrors) {
  test::TempDir dir;
  save_safetensors(dir / "s1.safetensors", {{"a", at::zeros({2})}, {"b", at::ones({2})}});
  save_safetensors(dir / "s2.safetensors", {{"c", at::zeros({3})}});
  struct Case {
    std::string map;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"a":"s1.safetensors","b":"s2.safetensors","c":"s2.safetensors"})",
       "lists tensor 'b' in s2.safetensors, which does not contain it"},
      {R"({"a":"s1.safetensors","c":"s2.safetensors"})",
       "holds tensor 'b', which the weight_map does not list"},
      {R"({"a":"../s1.safetensors"})", "not a file name in the index's folder"},
      {R"({"a":"gone.safetensors"})", "gone.safetensors: no such file"},
      {R"({"a":3})", "weight_map.a must be a file name string"},
  };
  for (const auto& c : cases) {
    write_file_atomic(dir / "model.safetensors.index.json", R"({"weight_map":)" + c.map + "}");
    try {
      TensorStore::open(dir.path());
      ADD_FAILURE() << c.map << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
          << c.map << " -> " << e.what();
    }
  }
  write_file_atomic(dir / "model.safetensors.index.json", "{\"weight_map\": [}");
  EXPECT_THROW(TensorStore::open(dir.path()), Error);
}

TEST(TensorStore, FolderResolution) {
  test::TempDir dir;
  EXPECT_THROW(TensorStore::open(dir.path()), Error);  // empty folder
  save_safetensors(dir / "weights.safetensors", {{"a", at::zeros({2})}});
  EXPECT_EQ(TensorStore::open(dir.path()).names(), std::vector<std::string>{"a"});
  save_safetensors(dir / "other.safetensors", {{"b", at::zeros({2})}});
  EXPECT_THROW(TensorStore::open(dir.path()), Error);  // ambiguous
  save_safetensors(dir / "model.safetensors", {{"m", at::zeros({2})}});
  EXPECT_EQ(TensorStore::open(dir.path()).names(), std::vector<std::string>{"m"});
  // A tensor name present in two files of one store is an error.
  EXPECT_THROW(TensorStore::open_files({dir / "weights.safetensors", dir / "weights.safetensors"},
                                       dir.path()),
               Error);
}

}  // namespace
}  // namespace setok::io
