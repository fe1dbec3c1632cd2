#include "setok/data/loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/data/datasets.h"
#include "setok/data/sampler.h"
#include "setok/io/fs.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using test::error_of;

// An example carrying its item id; odd items are slow, so workers finish out of order.
Example make(int64_t item) {
  if (item % 2 == 1) std::this_thread::sleep_for(std::chrono::microseconds(300));
  Example e;
  e.tensors["x"] = at::full({2}, static_cast<double>(item));
  e.ints["item"] = item;
  e.texts["words"] = {"item " + std::to_string(item)};
  return e;
}

std::vector<int64_t> drain(Loader& loader) {
  std::vector<int64_t> seen;
  while (auto b = loader.next()) {
    for (int64_t v : b->ints["item"]) seen.push_back(v);
    EXPECT_EQ(b->tensors["x"].size(0), b->size);
  }
  return seen;
}

TEST(Sampler, EveryItemOncePerEpochAcrossTwoRanks) {
  const auto items = mixture_items({7, 4}, {1.0, 1.0}, 3, 0);
  ASSERT_EQ(items.size(), 11u);
  const auto order = epoch_order(static_cast<int64_t>(items.size()), 3, 0, true);
  std::multiset<int64_t> seen;
  for (int rank = 0; rank < 2; ++rank) {
    LoaderOptions o;
    o.batch_size = 2;
    o.workers = 3;
    o.drop_last = false;
    Loader loader(rank_shard(order, rank, 2), make, o);
    for (int64_t v : drain(loader)) seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 11u);
  for (int64_t i = 0; i < 11; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
  // Another epoch is another order; the same epoch is the same order.
  EXPECT_NE(epoch_order(11, 3, 1, true), order);
  EXPECT_EQ(epoch_order(11, 3, 0, true), order);
  EXPECT_THROW(rank_shard(order, 2, 2), Error);
}

TEST(Sampler, MixtureMultipliers) {
  const auto items = mixture_items({10, 4}, {2.0, 0.5}, 1, 0);
  int64_t a = 0, b = 0;
  for (const auto& it : items) (it.source == 0 ? a : b)++;
  EXPECT_EQ(a, 20);
  EXPECT_EQ(b, 2);
  // The fractional part is a different subset each epoch.
  auto subset = [](int64_t epoch) {
    std::vector<int64_t> out;
    for (const auto& it : mixture_items({10, 40}, {1.0, 0.5}, 1, epoch)) {
      if (it.source == 1) out.push_back(it.index);
    }
    return out;
  };
  EXPECT_EQ(subset(0).size(), 20u);
  EXPECT_NE(subset(0), subset(7));
  EXPECT_EQ(subset(3), subset(3));
  EXPECT_THROW(mixture_items({1}, {-1.0}, 0, 0), Error);
}

TEST(Loader, OrderIsDeterministicAndResumeContinuesIt) {
  std::vector<int64_t> items(40);
  for (int64_t i = 0; i < 40; ++i) items[static_cast<size_t>(i)] = (i * 7) % 40;
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = 4;
  Loader full(items, make, o);
  const auto all = drain(full);
  EXPECT_EQ(all, items);  // list order, whatever the workers did
  // Stop after 3 batches, resume at the reported position: the rest is identical.
  Loader first(items, make, o);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(first.next().has_value());
  EXPECT_EQ(first.position(), 12);
  Loader resumed(items, make, o, first.position());
  const auto rest = drain(resumed);
  EXPECT_EQ(rest, std::vector<int64_t>(all.begin() + 12, all.end()));
}

TEST(Loader, DropLastAndBadSamples) {
  std::vector<int64_t> items = {0, 1, 2, 3, 4, 5, 6};
  LoaderOptions o;
  o.batch_size = 3;
  Loader dropping(items, make, o);
  EXPECT_EQ(drain(dropping).size(), 6u);
  auto flaky = [](int64_t item) -> Example {
    if (item == 2 || item == 5)
      throw Error("pair.json: record " + std::to_string(item) +
                  ": broken.png: cannot decode image");
    return make(item);
  };
  Loader strict(items, flaky, o);
  EXPECT_NE(error_of([&] { drain(strict); }).find("record 2: broken.png"), std::string::npos);
  o.skip_bad = true;
  o.drop_last = false;
  Loader skipping(items, flaky, o);
  EXPECT_EQ(drain(skipping), (std::vector<int64_t>{0, 1, 3, 4, 6}));
  EXPECT_EQ(skipping.skipped(), 2);
}

TEST(Collate, StacksAndNamesMismatches) {
  std::vector<Example> ex(2);
  ex[0].tensors["x"] = at::zeros({3});
  ex[1].tensors["x"] = at::zeros({4});
  EXPECT_NE(error_of([&] { collate(ex); }).find("tensor 'x' has shape"), std::string::npos);
}

// Instance masks come at each image's own size: kept per example, in order.
TEST(Collate, KeepsUnstackedTensorsOfAnySize) {
  std::vector<Example> ex(3);
  for (int64_t i = 0; i < 3; ++i) {
    ex[i].tensors["x"] = at::full({2}, static_cast<double>(i));
    ex[i].unstacked["labels"] = at::zeros({10 + i, 20 - i}, at::kLong);
    ex[i].ints["n"] = i;
  }
  ex[1].unstacked["labels"] = at::Tensor();  // a record without a mask
  const Batch b = collate(ex);
  ASSERT_EQ(b.unstacked.at("labels").size(), 3u);
  EXPECT_EQ(b.unstacked.at("labels")[2].sizes(), (std::vector<int64_t>{12, 18}));
  EXPECT_FALSE(b.unstacked.at("labels")[1].defined());
  const Batch h = b.head(2);
  EXPECT_EQ(h.size, 2);
  EXPECT_EQ(h.tensors.at("x").size(0), 2);
  EXPECT_EQ(h.unstacked.at("labels").size(), 2u);
  EXPECT_EQ(h.ints.at("n"), (std::vector<int64_t>{0, 1}));
  std::vector<Example> uneven(2);
  uneven[0].unstacked["labels"] = at::zeros({2, 2});
  EXPECT_NE(error_of([&] { collate(uneven); }).find("disagree"), std::string::npos);
}

TEST(Datasets, PairInstructEditAndErrors) {
  test::TempDir dir;
  io::write_file_atomic(dir / "pair.json", R"([
    {"image": "a.png", "caption": "a red circle", "phrases": ["red circle"], "mask": "m.png", "num_objects": 1, "extra": 3},
    {"key": "000007", "caption": "cc3m style"}])");
  const auto pair = load_pair_dataset(dir / "pair.json", {});
  ASSERT_EQ(pair.size(), 2u);
  EXPECT_EQ(pair.records[0].image, dir / "a.png");
  EXPECT_EQ(pair.records[0].num_objects, 1);
  EXPECT_EQ(pair.records[1].image, dir / "000007.jpg");
  EXPECT_TRUE(pair.records[1].phrases.empty());
  io::write_file_atomic(dir / "bad.json",
                        R"([{"image": "a.png", "caption": "ok"}, {"image": 3, "caption": "x"},
    {"caption": "no image"}])");
  EXPECT_EQ(error_of([&] { load_pair_dataset(dir / "bad.json", {}); }),
            (dir / "bad.json").string() + ": record 1: \"image\" must be a string, got number");
  const auto skipped = load_pair_dataset(dir / "bad.json", "/imgs", /*skip_bad=*/true);
  EXPECT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped.skipped, 2);
  EXPECT_EQ(skipped.records[0].image, std::filesystem::path("/imgs/a.png"));
  io::write_file_atomic(dir / "inst.json", R"([{"id": 5, "image": "a.png", "conversations": [
    {"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "That."}]},
    {"id": "t", "conversations": [{"from": "robot", "value": "x"}]}])");
  EXPECT_NE(error_of([&] {
              load_instruct_dataset(dir / "inst.json", {});
            }).find("record 1: conversations.0: \"from\" must be human or gpt"),
            std::string::npos);
  const auto inst = load_instruct_dataset(dir / "inst.json", {}, true);
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst.records[0].id, "5");
  EXPECT_EQ(inst.records[0].conversations[1].value, "That.");
  io::write_file_atomic(
      dir / "edit.json",
      R"([{"source": "a.png", "target": "b.png", "instruction": "make it blue"}])");
  EXPECT_EQ(load_edit_dataset(dir / "edit.json", {}).records[0].target, dir / "b.png");
  io::write_file_atomic(dir / "obj.json", R"({"image": "a.png"})");
  EXPECT_NE(error_of([&] { load_edit_dataset(dir / "obj.json", {}); }).find("must be a JSON array"),
            std::string::npos);
  EXPECT_THROW(parse_dataset_kind("video"), Error);
}

}  // namespace
}  // namespace setok::data
