#pragma once
// VQA accuracy exactly as the VQA challenge's official evaluation (vqaEval.py of the VQA API)
// computes it, quirks included, for VQAv2 and OK-VQA (which uses the same tools):
//   - the prediction: newlines and tabs become spaces, surrounding whitespace is stripped, then
//     punctuation is processed and number words / articles / contractions normalised;
//   - the human answers: only punctuation-processed, and only when they are not all identical;
//   - per question: for each human answer, min(#other human answers equal to the prediction / 3,
//     1); the mean over the answers (leave-one-out over the ten);
//   - overall and per answer type / question type: 100 x the mean over questions, rounded to two
//     decimals as the official script reports.
// Text is treated as bytes: lowercasing and whitespace splitting cover ASCII (the official
// Python lowercases and splits Unicode too; answers are English).
#include <map>
#include <string>
#include <vector>

#include "setok/io/json.h"

namespace setok::scores {

// processPunctuation: each of ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? ! is deleted when the text
// has it next to a space or has a digit-comma-digit anywhere, else replaced by a space; then up
// to 32 periods not followed by a digit are deleted (the official regex's count argument).
std::string vqa_process_punctuation(const std::string& text);
// processDigitArticle: lowercase, split on whitespace, number words zero..ten and "none" to
// digits, drop a / an / the, expand the official contraction list, join with single spaces.
std::string vqa_process_digit_article(const std::string& text);
// The prediction's full normalisation (whitespace, punctuation, digits / articles).
std::string vqa_normalize_prediction(const std::string& answer);
// One question's accuracy in [0, 1] against its human answers (ten in VQAv2).
double vqa_accuracy(const std::string& prediction, const std::vector<std::string>& answers);

struct VqaScore {
  double accuracy = 0;  // 0-100, two decimals
  std::map<std::string, double> per_answer_type, per_question_type;
  int64_t questions = 0;
  io::Json to_json() const;
};

// Scores predictions (question id as text -> answer) against a VQAv2 / OK-VQA annotations file's
// contents ({"annotations": [{"question_id", "answers": [{"answer"}], "answer_type",
// "question_type"}]}). As the official loader, every annotated question needs a prediction and
// every prediction an annotation; otherwise an error names the first missing / unknown id and
// the counts. `label` names the annotations in errors.
VqaScore score_vqa(const io::Json& annotations,
                   const std::map<std::string, std::string>& predictions, const std::string& label);

// The annotations (already scored by score_vqa) must all be questions of `questions` (a VQA
// questions file's contents, named `label` in errors): a mismatched split is an error.
void check_vqa_split(const io::Json& questions, const io::Json& annotations,
                     const std::string& label);

}  // namespace setok::scores
