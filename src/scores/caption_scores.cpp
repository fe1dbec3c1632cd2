#include "setok/scores/caption_scores.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <unordered_map>

#include "json_access.h"
#include "setok/runtime/error.h"
#include "setok/scores/ptb_tokenizer.h"

namespace setok::scores {

namespace {

constexpr int kMaxN = 4;
constexpr double kSigma = 6.0;

// n-gram (tokens joined by spaces) -> count, for n = 1..4; the n of a key is its spaces + 1.
using NgramCounts = std::unordered_map<std::string, double>;

std::vector<std::string> words_of(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

NgramCounts ngram_counts(const std::vector<std::string>& words) {
  NgramCounts counts;
  for (int k = 1; k <= kMaxN; ++k) {
    for (size_t i = 0; i + static_cast<size_t>(k) <= words.size(); ++i) {
      std::string gram = words[i];
      for (int j = 1; j < k; ++j) gram += ' ' + words[i + static_cast<size_t>(j)];
      counts[gram] += 1;
    }
  }
  return counts;
}

int order_of(const std::string& gram) {
  return 1 + static_cast<int>(std::count(gram.begin(), gram.end(), ' '));
}

const std::vector<std::string>& references_of(
    const std::string& image, const std::map<std::string, std::vector<std::string>>& references,
    const std::string& label) {
  const auto it = references.find(image);
  if (it == references.end() || it->second.empty())
    throw Error(label + ": image " + image + " has no reference captions");
  return it->second;
}

// A caption's TF-IDF n-gram vectors, their norms and its length (bigram count), as
// cider_scorer.py's counts2vec.
struct TfIdf {
  std::array<std::unordered_map<std::string, double>, kMaxN> vec;
  std::array<double, kMaxN> norm{};
  double length = 0;
};

TfIdf tf_idf(const NgramCounts& counts, const std::unordered_map<std::string, double>& df,
             double log_images) {
  TfIdf t;
  for (const auto& [gram, tf] : counts) {
    const int n = order_of(gram) - 1;
    const auto it = df.find(gram);
    const double idf = log_images - std::log(std::max(1.0, it == df.end() ? 0.0 : it->second));
    const double v = tf * idf;
    t.vec[static_cast<size_t>(n)][gram] = v;
    t.norm[static_cast<size_t>(n)] += v * v;
    if (n == 1) t.length += tf;
  }
  for (double& x : t.norm) x = std::sqrt(x);
  return t;
}

// Mean over n of the clipped, length-penalised cosine similarity.
double cider_similarity(const TfIdf& hyp, const TfIdf& ref) {
  const double delta = hyp.length - ref.length;
  double sum = 0;
  for (size_t n = 0; n < kMaxN; ++n) {
    double val = 0;
    for (const auto& [gram, h] : hyp.vec[n]) {
      const auto it = ref.vec[n].find(gram);
      const double r = it == ref.vec[n].end() ? 0.0 : it->second;
      val += std::min(h, r) * r;
    }
    if (hyp.norm[n] != 0 && ref.norm[n] != 0) val /= hyp.norm[n] * ref.norm[n];
    val *= std::exp(-(delta * delta) / (2 * kSigma * kSigma));
    sum += val;
  }
  return sum / kMaxN;
}

}  // namespace

std::array<double, 4> corpus_bleu(const std::map<std::string, std::string>& hypotheses,
                                  const std::map<std::string, std::vector<std::string>>& references,
                                  const std::string& label) {
  constexpr double kTiny = 1e-15, kSmall = 1e-9;
  if (hypotheses.empty()) throw Error(label + ": no captions to score");
  std::array<double, kMaxN> guess{}, correct{};
  double test_len = 0, ref_len = 0;
  for (const auto& [image, hypothesis] : hypotheses) {
    const auto& refs = references_of(image, references, label);
    const std::vector<std::string> words = words_of(hypothesis);
    const auto len = static_cast<double>(words.size());
    // The reference length closest to the hypothesis's, the shorter of a tie.
    double closest = -1;
    NgramCounts max_ref;
    for (const auto& ref : refs) {
      const std::vector<std::string> ref_words = words_of(ref);
      const auto l = static_cast<double>(ref_words.size());
      if (closest < 0 || std::abs(l - len) < std::abs(closest - len) ||
          (std::abs(l - len) == std::abs(closest - len) && l < closest))
        closest = l;
      for (const auto& [gram, c] : ngram_counts(ref_words))
        max_ref[gram] = std::max(max_ref[gram], c);
    }
    test_len += len;
    ref_len += closest;
    for (int k = 1; k <= kMaxN; ++k) guess[k - 1] += std::max(0.0, len - k + 1);
    for (const auto& [gram, c] : ngram_counts(words)) {
      const auto it = max_ref.find(gram);
      correct[order_of(gram) - 1] += std::min(c, it == max_ref.end() ? 0.0 : it->second);
    }
  }
  std::array<double, kMaxN> bleu{};
  double product = 1;
  for (int k = 0; k < kMaxN; ++k) {
    product *= (correct[k] + kTiny) / (guess[k] + kSmall);
    bleu[k] = std::pow(product, 1.0 / (k + 1));
  }
  const double ratio = (test_len + kTiny) / (ref_len + kSmall);
  if (ratio < 1)
    for (double& b : bleu) b *= std::exp(1 - 1 / ratio);
  return bleu;
}

double cider_d(const std::map<std::string, std::string>& hypotheses,
               const std::map<std::string, std::vector<std::string>>& references,
               const std::string& label) {
  if (hypotheses.empty()) throw Error(label + ": no captions to score");
  // Document frequency: over the scored images, how many images' references hold the n-gram.
  std::unordered_map<std::string, double> df;
  std::map<std::string, std::vector<NgramCounts>> ref_counts;
  for (const auto& [image, unused] : hypotheses) {
    std::set<std::string> seen;
    for (const auto& ref : references_of(image, references, label)) {
      ref_counts[image].push_back(ngram_counts(words_of(ref)));
      for (const auto& [gram, c] : ref_counts[image].back()) seen.insert(gram);
    }
    for (const auto& gram : seen) df[gram] += 1;
  }
  const double log_images = std::log(static_cast<double>(hypotheses.size()));
  double total = 0;
  for (const auto& [image, hypothesis] : hypotheses) {
    const TfIdf hyp = tf_idf(ngram_counts(words_of(hypothesis)), df, log_images);
    const auto& refs = ref_counts.at(image);
    double score = 0;
    for (const auto& ref : refs) score += cider_similarity(hyp, tf_idf(ref, df, log_images));
    total += score / static_cast<double>(refs.size()) * 10.0;
  }
  return total / static_cast<double>(hypotheses.size());
}

io::Json CaptionScore::to_json() const {
  return {{"bleu_1", bleu[0]},
          {"bleu_2", bleu[1]},
          {"bleu_3", bleu[2]},
          {"bleu_4", bleu[3]},
          {"cider_d", cider_d},
          {"images", images},
          {"annotated_images", annotated_images}};
}

CaptionScore score_captions(const io::Json& annotations,
                            const std::map<std::string, std::string>& predictions,
                            const std::string& label) {
  if (!annotations.is_object() || !annotations.contains("annotations") ||
      !annotations["annotations"].is_array())
    throw Error(label +
                ": expected a COCO captions file (an object with an \"annotations\" array)");
  std::map<std::string, std::vector<std::string>> references;
  const io::Json& anns = annotations["annotations"];
  for (size_t i = 0; i < anns.size(); ++i) {
    const std::string where = label + ": annotation " + std::to_string(i);
    const io::Json& a = anns[i];
    if (!a.is_object() || !a.contains("image_id") || !a.contains("caption"))
      throw Error(where + ": needs \"image_id\" and \"caption\"");
    const std::string caption = detail::text_or(a, "caption", "", where);
    references[detail::id_text(a["image_id"], where, "an image id")].push_back(
        ptb_tokenized(caption));
  }
  std::map<std::string, std::string> hypotheses;
  for (const auto& [image, caption] : predictions) {
    if (!references.count(image))
      throw Error(label + ": predicted image " + image + " has no captions in the annotations");
    hypotheses[image] = ptb_tokenized(caption);
  }
  CaptionScore s;
  s.bleu = corpus_bleu(hypotheses, references, label);
  s.cider_d = cider_d(hypotheses, references, label);
  s.images = static_cast<int64_t>(hypotheses.size());
  s.annotated_images = static_cast<int64_t>(references.size());
  return s;
}

}  // namespace setok::scores
