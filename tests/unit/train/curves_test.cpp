// RUN/curves.png: panels from metrics.jsonl and eval.json.
#include "setok/train/curves.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::train {
namespace {

const draw::Panel* panel(const std::vector<draw::Panel>& panels, const std::string& title) {
  for (const auto& p : panels) {
    if (p.title == title) return &p;
  }
  return nullptr;
}

TEST(Curves, PanelsFromMetricsAndEvaluations) {
  test::TempDir dir;
  io::write_file_atomic(dir / "metrics.jsonl",
                        "{\"step\": 10, \"loss\": 1.5, \"lr\": 0.001, \"epoch\": 0}\n"
                        "{\"step\": 20, \"loss\": 1.0, \"lr\": 0.002, \"epoch\": 0, "
                        "\"loss_gan\": null}\n");
  io::write_json(dir / "eval.json",
                 {{"evaluations",
                   {{{"step", 0},
                     {"heldout",
                      {{"fg_ari", 0.4},
                       {"grounding_accuracy", 0.3},
                       {"grounding_chance", 0.2},
                       {"images", 200}}},
                     {"coco", {{"fg_ari", 0.1}}}},
                    {{"step", 20}, {"heldout", {{"fg_ari", 0.6}}}, {"coco", {{"fg_ari", 0.2}}}}}}});
  const auto panels = run_panels(dir.path());
  const draw::Panel* loss = panel(panels, "train: loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->series[0].x, (std::vector<double>{10, 20}));
  EXPECT_EQ(loss->series[0].y, (std::vector<double>{1.5, 1.0}));
  EXPECT_EQ(panel(panels, "train: epoch"), nullptr);     // positions are not curves
  EXPECT_NE(panel(panels, "train: loss_gan"), nullptr);  // null -> a gap
  const draw::Panel* fg = panel(panels, "eval: fg_ari");
  ASSERT_NE(fg, nullptr);
  ASSERT_EQ(fg->series.size(), 2u);  // one line per eval set
  EXPECT_EQ(fg->series[1].label, "heldout");
  EXPECT_EQ(fg->series[1].y, (std::vector<double>{0.4, 0.6}));
  const draw::Panel* g = panel(panels, "eval: grounding_accuracy");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->series.size(), 2u);  // the accuracy and its chance level
  EXPECT_EQ(panel(panels, "eval: images"), nullptr);
  if (io::has_drawing_support()) {  // the curves are drawn with OpenCV
    const auto png = write_run_curves(dir.path());
    EXPECT_EQ(png, dir / "curves.png");
    const at::Tensor img = io::read_image(png);
    EXPECT_EQ(img.size(2), 3 * 360);                             // three panels per row
    EXPECT_GT(img.size(1), 220);                                 // more than one row
    EXPECT_LT(img.to(at::kFloat).mean().item<double>(), 254.0);  // something was drawn
  }
  EXPECT_NE(test::error_of([&] { run_panels(dir / "nothing"); }).find("not a run folder"),
            std::string::npos);
}

}  // namespace
}  // namespace setok::train
