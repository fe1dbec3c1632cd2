#pragma once
// The demo world's evaluation of a Setokim run (`setok_infer demo-eval`): on held-out scenes of
// `setok_data shapes`,
//   - VQA exact match per question type (count: "How many ...", colour: "What color ...",
//     position: "Where is ..."), beside two baselines by the same code: the blind model (the
//     same weights, the question without its image) and the majority answer per type in the
//     training split; asked two ways: `single`, each question alone through the request path
//     of `setok_infer vqa` (what a user gets), and `conversation`, each question inside its
//     scene's conversation after the earlier turns with their true answers (as training poses
//     it); empty answers are counted;
//   - caption token-F1 against the scene's caption;
//   - generation: the generated picture read by data/scene_reading against the reading of the
//     ground-truth render of the same caption (object count exact, colour set exact), beside
//     the same reading of each scene's own tokens redrawn by the detokenizer (the ceiling the
//     drawing path sets: a generated picture is read no better than a reconstruction);
//   - edits: PSNR against the target render, and whether the edit's attribute is right as the
//     reader sees it (recolour: the colour set; add / remove: the object count — each compared
//     with the target render's reading; moves are not scored: the reader has no positions).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "setok/data/vqa_readers.h"
#include "setok/infer/setokim_generate.h"
#include "setok/io/json.h"
#include "setok/llm/chat_template.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/mllm/setokim.h"
#include "setok/vision/preprocess.h"

namespace setok::infer {

// "count" | "colour" | "position" | "other" for a scene question.
std::string question_type(const std::string& question);

struct TypedAnswer {
  std::string type, truth, predicted;
};

// Exact match (after trimming and lowercasing) per type and "overall", 0-100.
std::map<std::string, double> exact_match_by_type(const std::vector<TypedAnswer>& answers);

// The most frequent answer per type (ties: the alphabetically first) of question / answer pairs.
std::map<std::string, std::string> majority_answers(
    const std::vector<std::pair<std::string, std::string>>& qa);

// Token-F1 of a predicted caption against the reference (lowercased words, punctuation
// stripped), 0-1: the harmonic mean of the precision and recall of the word multiset overlap.
double token_f1(const std::string& predicted, const std::string& reference);

struct DemoEvalOptions {
  std::filesystem::path data_dir;  // setok_data shapes output
  int64_t scenes = 64;             // held-out scenes evaluated (each task)
  int64_t batch = 8;
  int64_t max_new_tokens = 16;
  ImageGenerationOptions generation;
  llm::ChatTemplate chat_template = llm::ChatTemplate::kVicunaV1;
  // How single questions are posed (the app takes the run's own, as `setok_infer vqa` does).
  data::AnswerStyle answer_style = data::AnswerStyle::kShort;
  vision::ImagePreprocess preprocess;
  uint64_t seed = 0;
  // Which parts run: any of "vqa", "caption", "generation", "edit" (all by default).
  std::vector<std::string> tasks = {"vqa", "caption", "generation", "edit"};
  // When set: every generated / edited PNG, and generation_sheet.png (rows of ground-truth render
  // | its own tokens redrawn | generated) and edit_sheet.png (source | target | edited) for the
  // first 8.
  std::filesystem::path images_out;
};

io::Json evaluate_demo(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                       const DemoEvalOptions& options);

}  // namespace setok::infer
