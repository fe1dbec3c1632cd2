#pragma once
// Readers for the visual-question-answering corpora of the original fine-tuning mixture, as their
// publishers ship them (docs/data.md). Each question becomes a one-round instruct record
//   human: "<image>\n" + question [+ the answer style's instruction]
//   gpt:   the answer
// so it trains through the same chat template as LLaVA conversations. The record id is the
// question id, so predictions can be scored against the publisher's files.
#include <filesystem>
#include <string>

#include "setok/data/datasets.h"

namespace setok::data {

// How a question is posed and answered.
//   short:           LLaVA's short-answer prompt, "Answer the question using a single word or
//                    phrase."; the reply is the answer (the default, as LLaVA-1.5 trains VQA)
//   plain:           the question alone; the reply is the answer
//   multiple_choice: A-OKVQA only: the choices lettered "A. ...", one per line, then "Answer
//                    with the option's letter from the given choices directly."; the reply is
//                    the letter
enum class AnswerStyle { kShort, kPlain, kMultipleChoice };
AnswerStyle parse_answer_style(const std::string& name);  // short | plain | multiple_choice
const char* answer_style_name(AnswerStyle style);
// What follows the question on its own line: short's prompt, or nothing (plain).
// multiple_choice's prompt follows the lettered choices instead (see load_aokvqa).
std::string style_prompt(AnswerStyle style);
// The human turn that asks `question` in `style` (short or plain): "<image>\n" (when
// `with_image`) + question [+ "\n" + the style's prompt]. The readers and inference
// (`setok_infer vqa`, demo-eval) pose questions through it.
std::string question_turn(const std::string& question, AnswerStyle style, bool with_image = true);

// VQAv2 and OK-VQA: the questions file ({"data_subtype": "train2014", "questions": [{"image_id",
// "question", "question_id"}]}) and the annotations file ({"annotations": [{"question_id",
// "answers": [{"answer", ...}] (ten), "multiple_choice_answer" (VQAv2)}]}). The answer is
// "multiple_choice_answer" when present, else the most frequent of "answers" (the first of a
// tie). Images: COCO_<data_subtype>_<image_id, 12 digits>.jpg under image_root. A question
// without an annotation, or an annotation without answers, is a bad record (index = the
// question's position).
InstructDataset load_vqav2(const std::filesystem::path& questions,
                           const std::filesystem::path& annotations,
                           const std::filesystem::path& image_root, AnswerStyle style,
                           bool skip_bad = false);

// A-OKVQA (aokvqa_v1p0_{split}.json: an array of {"question_id", "image_id", "question",
// "choices", "correct_choice_idx", "direct_answers"}). short / plain: the most frequent direct
// answer (the first of a tie); multiple_choice: the correct choice's letter. Images: COCO 2017,
// <image_id, 12 digits>.jpg under image_root.
InstructDataset load_aokvqa(const std::filesystem::path& file,
                            const std::filesystem::path& image_root, AnswerStyle style,
                            bool skip_bad = false);

// GQA balanced questions ({split}_balanced_questions.json: an object keyed by question id, each
// {"imageId", "question", "answer", ...}); records in file order, index = position in the file
// (streamed). The reply is "answer" (GQA's short answer). Images: <imageId>.jpg under image_root.
InstructDataset load_gqa(const std::filesystem::path& file, const std::filesystem::path& image_root,
                         AnswerStyle style, bool skip_bad = false);

}  // namespace setok::data
