// setok_eval: the standard scores people quote, from prediction files (docs/evaluation.md).
#include <iostream>

#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/io/json.h"
#include "setok/runtime/app.h"
#include "setok/scores/caption_scores.h"
#include "setok/scores/image_quality.h"
#include "setok/scores/predictions.h"
#include "setok/scores/qa_accuracy.h"
#include "setok/scores/vqa_accuracy.h"

int main(int argc, char** argv) {
  CLI::App app{"setok_eval: standard benchmark scores from prediction files"};
  app.require_subcommand(1);
  setok::apps::CommonFlags common;
  setok::apps::add_common_flags(app, common);

  std::string questions, annotations, predictions;
  CLI::App* vqa = app.add_subcommand(
      "vqa",
      "VQAv2 / OK-VQA accuracy as the official evaluation computes it (vqaEval.py: answer "
      "normalisation, min(#matching humans / 3, 1) over leave-one-out subsets); prints "
      "{\"accuracy\" (0-100), \"per_answer_type\", \"per_question_type\", \"questions\"}");
  vqa->add_option("--annotations", annotations, "the annotations file (human answers)")->required();
  vqa->add_option("--predictions", predictions,
                  "results.jsonl of setok_infer vqa ({\"question_id\" | \"id\", \"answer\"} per "
                  "line) or the challenge's results JSON array")
      ->required();
  vqa->add_option("--questions", questions,
                  "the questions file, to check that the annotations are its split (optional)");

  std::string gqa_questions, gqa_predictions;
  CLI::App* gqa = app.add_subcommand(
      "gqa",
      "GQA accuracy as its eval.py computes it (exact match over the balanced questions; open / "
      "binary and per structural / semantic type)");
  gqa->add_option("--questions", gqa_questions, "{split}_balanced_questions.json")->required();
  gqa->add_option("--predictions", gqa_predictions,
                  "results.jsonl, or GQA's predictions array ({\"questionId\", \"prediction\"})")
      ->required();

  std::string aokvqa_data, aokvqa_predictions;
  bool multiple_choice = false;
  CLI::App* aokvqa = app.add_subcommand(
      "aokvqa",
      "A-OKVQA accuracy as its eval_predictions.py computes it (direct answer: min(#matching "
      "direct answers / 3, 1) without the difficult questions; --multiple-choice: the correct "
      "choice, by text or letter)");
  aokvqa->add_option("--data", aokvqa_data, "aokvqa_v1p0_{split}.json")->required();
  aokvqa->add_option("--predictions", aokvqa_predictions, "results.jsonl or a results array")
      ->required();
  aokvqa->add_flag("--multiple-choice", multiple_choice, "score the multiple-choice setting");
  std::string image_predictions, image_references;
  CLI::App* image = app.add_subcommand(
      "image",
      "Reconstruction PSNR (dB) and SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5) of "
      "each reference image against the prediction of the same file name; prints the means");
  image->add_option("--predictions", image_predictions, "folder of predicted images")->required();
  image->add_option("--references", image_references, "folder of reference images")->required();
  std::string caption_annotations, caption_predictions;
  CLI::App* caption = app.add_subcommand(
      "caption",
      "COCO captioning BLEU-1..4 and CIDEr-D as coco-caption computes them (PTB tokenisation, "
      "document frequencies from the references of the scored images; coco-caption's scale, "
      "papers quote x 100); prints {\"bleu_1\" .. \"bleu_4\", \"cider_d\", \"images\", "
      "\"annotated_images\"}");
  caption->add_option("--annotations", caption_annotations, "captions_{split}2014.json / 2017")
      ->required();
  caption
      ->add_option("--predictions", caption_predictions,
                   "COCO results JSON ([{\"image_id\", \"caption\"}]) or a .jsonl of the "
                   "same objects; the predicted images are scored")
      ->required();
  if (const int code = setok::apps::parse_command_line(app, "setok_eval", argc, argv); code >= 0)
    return code;

  return setok::runtime::run_app("setok_eval", [&] {
    namespace scores = setok::scores;
    setok::apps::apply_common_flags(common);
    setok::io::Json result;
    if (app.got_subcommand("caption")) {
      result = scores::score_captions(setok::io::read_json(caption_annotations),
                                      scores::read_caption_predictions(caption_predictions),
                                      caption_annotations)
                   .to_json();
    } else if (app.got_subcommand("image")) {
      result = scores::score_images(image_predictions, image_references).to_json();
    } else if (app.got_subcommand("gqa")) {
      result = scores::score_gqa(setok::io::read_json(gqa_questions),
                                 scores::read_predictions(gqa_predictions), gqa_questions)
                   .to_json();
    } else if (app.got_subcommand("aokvqa")) {
      result = scores::score_aokvqa(setok::io::read_json(aokvqa_data),
                                    scores::read_predictions(aokvqa_predictions), multiple_choice,
                                    aokvqa_data)
                   .to_json();
    } else {
      const setok::io::Json ann = setok::io::read_json(annotations);
      result = scores::score_vqa(ann, scores::read_predictions(predictions), annotations).to_json();
      if (!questions.empty())
        scores::check_vqa_split(setok::io::read_json(questions), ann, questions);
    }
    std::cout << result.dump(2) << "\n";
    return 0;
  });
}
