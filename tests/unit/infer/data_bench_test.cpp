// `setok_bench data`: the generated VQAv2-layout files load back whole (the bench throws if a
// record is lost), and the report carries what was measured. Times are not asserted.
#include "setok/infer/data_bench.h"

#include <gtest/gtest.h>

#include "errors.h"
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
  const DataBenchResult r = bench_vqa_reading(o);
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
  o.records = 0;
  EXPECT_NE(test::error_of([&] { bench_vqa_reading(o); }).find("records and iters must be >= 1"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::infer
