// The demo evaluation: its scoring pieces by hand (question types, exact match, majority
// baseline, token-F1) and a whole run on the test world with a random tiny Setokim.
#include "setok/infer/demo_eval.h"

#include <gtest/gtest.h>

#include "setok/io/image.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"
#include "tiny_setokim.h"

namespace setok::infer {
namespace {

TEST(DemoEval, ScoringByHand) {
  EXPECT_EQ(question_type("How many stars are there?"), "count");
  EXPECT_EQ(question_type("What color is the star?"), "colour");
  EXPECT_EQ(question_type("Where is the red star?"), "position");
  EXPECT_EQ(question_type("Why?"), "other");
  const auto m = exact_match_by_type({{"count", "two", " Two."},  // trimmed, lowercased
                                      {"count", "three", "two"},
                                      {"colour", "red", "red"},
                                      {"colour", "red", "reddish"}});
  EXPECT_DOUBLE_EQ(m.at("count"), 50.0);
  EXPECT_DOUBLE_EQ(m.at("colour"), 50.0);
  EXPECT_DOUBLE_EQ(m.at("overall"), 50.0);
  const auto maj = majority_answers({{"How many x?", "two"},
                                     {"How many y?", "three"},
                                     {"How many z?", "Two"},
                                     {"What color is it?", "red"},
                                     {"What color is that?", "blue"}});
  EXPECT_EQ(maj.at("count"), "two");
  EXPECT_EQ(maj.at("colour"), "blue");  // a tie: the alphabetically first
  // 3 of 4 predicted words match 3 of 6 reference words: P 0.75, R 0.5, F1 0.6.
  EXPECT_NEAR(token_f1("a red circle here", "A red circle, on a mat"), 0.6, 1e-12);
  EXPECT_DOUBLE_EQ(token_f1("", "a"), 0.0);
  EXPECT_DOUBLE_EQ(token_f1("x y", "a b"), 0.0);
}

TEST(DemoEval, WholeRunOnTheTestWorld) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  auto t = test::tiny_setokim({"model.diffusion.num_sampling_steps=5"});
  DemoEvalOptions o;
  o.data_dir = test::scene_world();
  o.scenes = 2;
  o.max_new_tokens = 2;
  o.generation.max_text_tokens = 0;
  o.generation.max_tokens = 3;
  o.generation.mar.num_iter = 2;
  o.preprocess = vision::ImagePreprocess{64};
  test::TempDir out;
  o.images_out = out.path();
  const io::Json r = evaluate_demo(*t.setokim, *t.text, o);
  // Sheets: 2 rows of 3 64-pixel pictures (generation: render | redrawn | drawn; edits: source
  // | target | edited) with 2-pixel gaps, doubled.
  EXPECT_EQ(io::read_image(out / "generation_sheet.png").sizes(),
            (at::IntArrayRef{3, 2 * 2 * 66, 2 * 3 * 66}));
  EXPECT_EQ(io::read_image(out / "edit_sheet.png").sizes(),
            (at::IntArrayRef{3, 2 * 2 * 66, 2 * 3 * 66}));
  EXPECT_GT(r["vqa"]["questions"].get<int64_t>(), 2);
  for (const char* who : {"model", "blind", "majority"}) {
    EXPECT_TRUE(r["vqa"][who].contains("overall")) << r.dump();
    EXPECT_TRUE(r["vqa"]["count_and_colour"].contains(who));
  }
  EXPECT_EQ(r["caption"]["images"], 2);
  EXPECT_EQ(r["generation"]["drawn"], 2);
  EXPECT_LE(r["generation"]["tokens_per_image"].get<double>(), 3.0);
  for (const char* k : {"count_exact", "colour_set_exact"}) {  // 2 scenes: 0, 50 or 100 %
    const double v = r["generation"]["reconstruction"][k].get<double>();
    EXPECT_TRUE(v == 0.0 || v == 50.0 || v == 100.0) << k << " " << v;
  }
  EXPECT_GT(r["generation"]["token_rms"].get<double>(), 0.0);
  EXPECT_GT(r["generation"]["scene_token_rms"].get<double>(), 0.0);
  EXPECT_EQ(r["edit"]["drawn"], 2);
  EXPECT_GT(r["edit"]["psnr"].get<double>(), 0.0);
  EXPECT_EQ(r["edit"]["psnr_images"], 2);
  // A chosen part runs alone, with the same numbers; an unknown part is refused.
  o.tasks = {"caption"};
  o.images_out.clear();
  const io::Json c = evaluate_demo(*t.setokim, *t.text, o);
  EXPECT_EQ(c.size(), 1u) << c.dump();
  EXPECT_EQ(c["caption"], r["caption"]);
  o.tasks = {"captions"};
  EXPECT_THROW(evaluate_demo(*t.setokim, *t.text, o), Error);
}

}  // namespace
}  // namespace setok::infer
