// The demo evaluation: its scoring pieces by hand (question types, exact match, majority
// baseline, token-F1) and a whole run on the test world with a random tiny Setokim.
#include "setok/infer/demo_eval.h"

#include <gtest/gtest.h>

#include "setok/infer/answer_requests.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
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
  // Both ways of asking cover the same questions of the two scenes.
  EXPECT_EQ(r["vqa"]["answer_style"], "short");
  EXPECT_GT(r["vqa"]["single"]["questions"].get<int64_t>(), 2);
  EXPECT_EQ(r["vqa"]["single"]["questions"], r["vqa"]["conversation"]["questions"]);
  for (const char* way : {"single", "conversation"}) {
    const io::Json& v = r["vqa"][way];
    for (const char* who : {"model", "blind", "majority"}) {
      EXPECT_TRUE(v[who].contains("overall")) << r.dump();
      EXPECT_TRUE(v["count_and_colour"].contains(who));
    }
    EXPECT_LE(v["empty_answers"].get<int64_t>(), v["questions"].get<int64_t>());
  }
  // The majority baseline does not depend on how the question is asked.
  EXPECT_EQ(r["vqa"]["single"]["majority"], r["vqa"]["conversation"]["majority"]);
  // `single` is what `setok_infer vqa` answers: the same questions through answer_requests, in
  // the same style and with the command's reply limit, score the same.
  {
    const io::Json scenes = io::read_json(o.data_dir / "heldout" / "instruct.json");
    std::vector<Request> requests;
    std::vector<TypedAnswer> typed;
    for (size_t s = 0; s < 2; ++s) {
      const io::Json& conv = scenes[s]["conversations"];
      for (size_t t = 0; t + 1 < conv.size(); t += 2) {
        std::string q = conv[t]["value"].get<std::string>();
        if (q.rfind("<image>\n", 0) == 0) q = q.substr(8);
        Request req;
        req.id = std::to_string(requests.size());
        req.fields = {{"image", scenes[s]["image"]}, {"question", q}};
        requests.push_back(req);
        typed.push_back({question_type(q), conv[t + 1]["value"].get<std::string>(), ""});
      }
    }
    AnswerTaskOptions task;
    task.image_root = o.data_dir;
    task.preprocess = o.preprocess;
    task.answer_style = o.answer_style;
    task.answer.chat_template = o.chat_template;
    task.answer.generation.max_new_tokens = kVqaMaxNewTokens;
    task.answer.generation.seed = o.seed;
    const auto got = answer_requests(*t.setokim, *t.text, requests, task);
    ASSERT_EQ(got.size(), typed.size());
    for (size_t i = 0; i < got.size(); ++i)
      typed[i].predicted = got[i].result["answer"].get<std::string>();
    const io::Json want = exact_match_by_type(typed);
    EXPECT_EQ(r["vqa"]["single"]["model"], want) << r["vqa"].dump();
  }
  EXPECT_EQ(r["caption"]["images"], 2);
  EXPECT_EQ(r["generation"]["drawn"], 2);
  EXPECT_LE(r["generation"]["tokens_per_image"].get<double>(), 3.0);
  for (const char* k : {"count_exact", "colour_set_exact"}) {  // 2 scenes: 0, 50 or 100 %
    const double v = r["generation"]["reconstruction"][k].get<double>();
    EXPECT_TRUE(v == 0.0 || v == 50.0 || v == 100.0) << k << " " << v;
  }
  for (const io::Json& g : {r["generation"], r["generation"]["reconstruction"]}) {
    const double foreign = g["foreign_colour_rate"].get<double>();
    EXPECT_TRUE(foreign >= 0.0 && foreign <= 100.0) << foreign;
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
