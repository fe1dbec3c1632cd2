#pragma once
// Accuracy of the other question-answering benchmarks of the fine-tuning mixture, as their
// official evaluation scripts define it (docs/evaluation.md):
//   GQA (eval.py of the GQA release): a prediction is right when it equals the question's
//     "answer" exactly; accuracy over the file's balanced questions ("isBalanced"), also split
//     into open questions (structural type "query") and binary ones (every other type), and per
//     structural and semantic type;
//   A-OKVQA (eval_predictions.py of the A-OKVQA release): direct answer: min(#direct answers
//     equal to the lowercased prediction / 3, 1) over the questions not marked
//     "difficult_direct_answer"; multiple choice: the prediction equals the correct choice's
//     text, over every question. Both strict: every scored question needs a prediction.
// 100 x the mean, unrounded (the scripts print full precision).
#include <map>
#include <string>

#include "setok/io/json.h"

namespace setok::scores {

struct QaScore {
  double accuracy = 0;  // 0-100
  int64_t questions = 0;
  std::map<std::string, double> breakdown;  // name -> 0-100 (GQA: binary, open, types)
  io::Json to_json() const;
};

// `questions`: a GQA questions file's contents (an object keyed by question id).
QaScore score_gqa(const io::Json& questions, const std::map<std::string, std::string>& predictions,
                  const std::string& label);

// `data`: an A-OKVQA file's contents (an array of questions). With `multiple_choice`, a
// prediction that is a single letter A, B, ... is read as that choice (our models answer the
// lettered prompt of data/vqa_readers.h; the official script wants the choice text), and a
// prediction that is neither a choice nor a letter is an error, as the strict official check.
QaScore score_aokvqa(const io::Json& data, const std::map<std::string, std::string>& predictions,
                     bool multiple_choice, const std::string& label);

}  // namespace setok::scores
