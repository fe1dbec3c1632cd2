// `setok_bench data`: the generated VQAv2- and LLaVA-layout files load back whole (the bench
// throws if a record is lost), and the report carries what was measured. Times and memory are
// not asserted.
#include "setok/infer/data_bench.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/data/datasets.h"
#include "setok/data/vqa_readers.h"
#include "temp_dir.h"

namespace setok::infer {
namespace {

TEST(DataBench, GeneratedVqav2LayoutLoadsWhole) {
  test::TempDir dir;
  DataBenchOptions o;
  o.records = 25;
  o.iters = 1;
  o.warmup = 0;
  o.scratch = dir.path();
  const DataBenchResult r = bench_data_reading(o);
  EXPECT_GT(r.file_mib, 0.0);
  EXPECT_GT(r.records_per_s, 0.0);
  const io::Json j = r.to_json();
  EXPECT_EQ(j["records"], 25);
  EXPECT_EQ(j["layout"], "vqav2");
  // The files are the publisher's layout: the reader sees 25 questions with their answers.
  const auto ds = data::load_vqav2(dir / "questions.json", dir / "annotations.json", dir.path(),
                                   data::AnswerStyle::kPlain);
  ASSERT_EQ(ds.size(), 25u);
  EXPECT_EQ(ds.records[4].conversations[0].value, "<image>\nWhat is the color of object 4?");
  EXPECT_EQ(ds.records[4].conversations[1].value, "dog");
  EXPECT_EQ(ds.records[4].image, dir / "COCO_train2014_000000000002.jpg");
  EXPECT_GE(r.peak_rss_mib, 0.0);
  // The LLaVA layout loads whole through the instruct reader.
  o.layout = "llava";
  const DataBenchResult llava = bench_data_reading(o);
  EXPECT_EQ(llava.to_json()["layout"], "llava");
  const auto conversations = data::load_instruct_dataset(dir / "llava.json", dir.path());
  ASSERT_EQ(conversations.size(), 25u);
  EXPECT_EQ(conversations.records[3].conversations.size(), 6u);
  EXPECT_EQ(conversations.records[3].image, dir / "000000000003.jpg");
  o.layout = "laion";
  EXPECT_NE(test::error_of([&] { bench_data_reading(o); }).find("--layout is vqav2 or llava"),
            std::string::npos);
  o.layout = "vqav2";
  o.records = 0;
  EXPECT_NE(test::error_of([&] { bench_data_reading(o); }).find("records and iters must be >= 1"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::infer
