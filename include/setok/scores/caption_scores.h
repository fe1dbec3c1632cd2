#pragma once
// Captioning scores as the COCO caption evaluation (coco-caption, pycocoevalcap) computes them
// (docs/evaluation.md), on captions tokenised by scores/ptb_tokenizer.h:
//   BLEU-n (bleu_scorer.py, option "closest"): corpus level; the clipped n-gram matches and the
//     n-gram counts of every hypothesis summed, each precision smoothed as (matches + 1e-15) /
//     (count + 1e-9), BLEU-n the geometric mean of precisions 1..n, times the brevity penalty
//     exp(1 - r / c) when the summed hypothesis length c is below the summed reference length r,
//     each image's reference length the one closest to its hypothesis (the shorter of a tie);
//   CIDEr-D (cider_scorer.py): per image, for n = 1..4, TF-IDF vectors of n-grams (term count x
//     (log #images - log max(1, document frequency)), document frequencies counted over the
//     evaluated images' references), the hypothesis vector clipped at each reference's
//     (sum min(h, r) * r), divided by both norms, times the length penalty
//     exp(-(l_h - l_r)^2 / (2 * 6^2)) where a caption's length is its bigram count (the script's
//     quirk); averaged over n and over the references, times 10; the score is the mean over
//     images.
// Values are on coco-caption's scale (BLEU 0-1, CIDEr-D 0-10); papers quote both x 100.
#include <array>
#include <map>
#include <string>
#include <vector>

#include "setok/io/json.h"

namespace setok::scores {

struct CaptionScore {
  std::array<double, 4> bleu{};  // BLEU-1 .. BLEU-4
  double cider_d = 0;
  int64_t images = 0;            // scored (predicted) images
  int64_t annotated_images = 0;  // images with reference captions in the annotations
  io::Json to_json() const;
};

// Already tokenised captions (tokens separated by single spaces): one hypothesis per image id and
// at least one reference per hypothesis (`references` may hold more images; only the
// hypotheses' images are scored and counted for document frequencies). `label` names the
// source in errors.
std::array<double, 4> corpus_bleu(const std::map<std::string, std::string>& hypotheses,
                                  const std::map<std::string, std::vector<std::string>>& references,
                                  const std::string& label);
double cider_d(const std::map<std::string, std::string>& hypotheses,
               const std::map<std::string, std::vector<std::string>>& references,
               const std::string& label);

// `annotations`: a COCO captions file's contents ({"annotations": [{"image_id", "caption"}]});
// `predictions`: image id (as text) -> caption. Both sides are PTB-tokenised; every predicted
// image needs reference captions (an error names it), and the predicted images are scored, as
// coco-caption scores the images of its results file.
CaptionScore score_captions(const io::Json& annotations,
                            const std::map<std::string, std::string>& predictions,
                            const std::string& label);

}  // namespace setok::scores
