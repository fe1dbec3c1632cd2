// Caption scores: PTB tokenisation, BLEU and CIDEr-D against values computed by hand from
// coco-caption's definitions (docs/evaluation.md).
#include "setok/scores/caption_scores.h"

#include <cmath>

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/scores/predictions.h"
#include "setok/scores/ptb_tokenizer.h"
#include "temp_dir.h"

namespace setok::scores {
namespace {

using test::error_of;

TEST(PtbTokenizer, SplitsPunctuationAndCliticsAsCocoCaptionDoes) {
  EXPECT_EQ(ptb_tokenized("A man's dog, running."), "a man 's dog running");
  EXPECT_EQ(ptb_tokenized("Two people don't like it!"), "two people do n't like it");
  EXPECT_EQ(ptb_tokenized("The T-shirt costs $5.50 (on sale)..."),
            "the t-shirt costs $ 5.50 on sale");
  EXPECT_EQ(ptb_tokenized("I can't; we cannot."), "i ca n't we can not");
  EXPECT_EQ(ptb_tokenized("A \"big\" dog -- in the U.S."), "a big dog in the u.s.");
  EXPECT_EQ(ptb_tokenized("50% of 1,000 dogs' toys"), "50 % of 1,000 dogs toys");
  EXPECT_EQ(ptb_tokenized("Mr. Smith at 3 p.m.\nwith a red,white flag"),
            "mr. smith at 3 p.m. with a red white flag");
  EXPECT_EQ(ptb_tokenized("  It's 'cool' -- isn't it?  "), "it 's cool is n't it");
  EXPECT_EQ(ptb_tokenized("...!?"), "");
  const std::vector<std::string> tokens = ptb_tokenize("A dog's bone.");
  EXPECT_EQ(tokens, (std::vector<std::string>{"a", "dog", "'s", "bone"}));
}

TEST(CaptionBleu, ClippedPrecisionsOfOneImage) {
  // Hand count: unigrams 5/6 (the x2 clipped at 2, "sat" unmatched), bigrams 3/5 (the cat,
  // on the, the mat), trigrams 1/4 (on the mat), 4-grams 0/3; lengths 6 vs closest 6: no penalty.
  const auto b = corpus_bleu({{"1", "the cat sat on the mat"}},
                             {{"1", {"the cat is on the mat", "there is a cat on the mat"}}}, "t");
  EXPECT_NEAR(b[0], 5.0 / 6.0, 1e-9);
  EXPECT_NEAR(b[1], std::sqrt(5.0 / 6.0 * 3.0 / 5.0), 1e-9);
  EXPECT_NEAR(b[2], 0.5, 1e-9);
  // No 4-gram matches: the smoothed precision 1e-15 / 3 keeps BLEU-4 just above zero.
  EXPECT_NEAR(b[3], std::pow(0.125 * (1e-15 / 3.0), 0.25), 1e-12);
  EXPECT_GT(b[3], 0.0);
}

TEST(CaptionBleu, CorpusSumsClosestLengthsAndBrevityPenalty) {
  // Every n-gram matches (precisions 1); hypothesis lengths 1 + 4 + 2 = 7; closest references
  // 2 ("the dog"), 3 (tie between 3 and 5: the shorter), 6: r = 11, penalty exp(1 - 11 / 7).
  const auto b = corpus_bleu({{"a", "dog"}, {"b", "a red car parked"}, {"c", "a cat"}},
                             {{"a", {"the dog", "a big dog runs"}},
                              {"b", {"a red car", "a red car parked outside"}},
                              {"c", {"a cat sleeping on a sofa"}},
                              {"unscored", {"nothing"}}},
                             "t");
  for (double x : b) EXPECT_NEAR(x, std::exp(1.0 - 11.0 / 7.0), 1e-9);
}

TEST(CaptionCider, TfIdfCosineAveragedOverNgramOrders) {
  // Two images: df(a) = 2 -> idf 0; every other n-gram idf log 2. Image 1 matches its reference
  // exactly in 1- and 2-grams (cosine 1 each, 3/4-grams empty: 0): 10 * (1 + 1) / 4 = 5. Image 2
  // shares only "a" (weight 0): 0. Mean 2.5.
  EXPECT_NEAR(cider_d({{"1", "a dog"}, {"2", "a cat"}}, {{"1", {"a dog"}}, {"2", {"a bird"}}}, "t"),
              2.5, 1e-12);
}

TEST(CaptionCider, ClipsRepeatedNgramsAndPenalisesLength) {
  // Image x: "dog dog" vs "dog": unigram vectors 2 log2 and log2; clipped dot min(2, 1) log2 *
  // log2 over norms 2 log2 * log2 = 0.5 (unclipped CIDEr would give 1); the bigram "dog dog" has
  // no reference counterpart: 0. Lengths (bigram counts) 1 vs 0: penalty exp(-1 / 72).
  // x: 10 * 0.5 * exp(-1/72) / 4; y shares nothing: 0.
  const double expected = 10 * 0.5 * std::exp(-1.0 / 72.0) / 4 / 2;
  EXPECT_NEAR(cider_d({{"x", "dog dog"}, {"y", "cat"}}, {{"x", {"dog"}}, {"y", {"bird"}}}, "t"),
              expected, 1e-12);
  // Two references average: the perfect one scores 5 (as above), the disjoint one 0.
  EXPECT_NEAR(cider_d({{"1", "a dog"}, {"2", "a cat"}},
                      {{"1", {"a dog", "one fish"}}, {"2", {"a bird"}}}, "t"),
              // df: a 2, dog 1, one 1, fish 1, ...: the "a dog" image is still 5 against its
              // first reference, 0 against the second: 2.5; mean with image 2's 0.
              1.25, 1e-12);
}

TEST(CaptionScores, CocoFilesTokenisedAndChecked) {
  const io::Json ann = {{"images", {{{"id", 1}}, {{"id", 2}}, {{"id", 3}}}},
                        {"annotations",
                         {{{"image_id", 1}, {"caption", "A dog."}},
                          {{"image_id", 2}, {"caption", "A bird!"}},
                          {{"image_id", 3}, {"caption", "An unpredicted image"}}}}};
  const CaptionScore s = score_captions(ann, {{"1", "a Dog"}, {"2", " A cat. "}}, "caps.json");
  EXPECT_EQ(s.images, 2);
  EXPECT_EQ(s.annotated_images, 3);
  EXPECT_NEAR(s.cider_d, 2.5, 1e-12);  // the first CIDEr case after tokenisation
  EXPECT_NEAR(s.bleu[0], 3.0 / 4.0, 1e-9);
  EXPECT_EQ(s.to_json()["images"], 2);
  std::string e = error_of([&] { score_captions(ann, {{"9", "a dog"}}, "caps.json"); });
  EXPECT_NE(e.find("caps.json: predicted image 9 has no captions"), std::string::npos) << e;
  e = error_of([&] {
    score_captions({{"annotations", {{{"image_id", 1.5}, {"caption", "x"}}}}}, {}, "caps.json");
  });
  EXPECT_NE(e.find("caps.json: annotation 0: an image id must be"), std::string::npos) << e;
  e = error_of([&] { score_captions({{"annotations", {{{"image_id", 1}}}}}, {}, "caps.json"); });
  EXPECT_NE(e.find("annotation 0: needs \"image_id\" and \"caption\""), std::string::npos) << e;
  e = error_of([&] { score_captions(ann, {}, "caps.json"); });
  EXPECT_NE(e.find("caps.json: no captions to score"), std::string::npos) << e;
}

TEST(CaptionScores, ReadsCocoResultsAndJsonl) {
  test::TempDir dir;
  io::write_json(dir / "results.json", {{{"image_id", 42}, {"caption", "a dog"}}});
  EXPECT_EQ(read_caption_predictions((dir / "results.json").string()).at("42"), "a dog");
  io::write_file_atomic(dir / "r.jsonl",
                        "{\"id\": 7, \"answer\": \"x\"}\n{\"id\": 7, \"answer\": \"y\"}\n");
  const std::string e = error_of([&] { read_caption_predictions((dir / "r.jsonl").string()); });
  EXPECT_NE(e.find("r.jsonl: line 2: image 7 is predicted twice"), std::string::npos) << e;
}

}  // namespace
}  // namespace setok::scores
