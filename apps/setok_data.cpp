// setok_data: synthetic data, tokenizer models and dataset conversion.
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/data/convert.h"
#include "setok/data/readers.h"
#include "setok/data/scene_dataset.h"
#include "setok/runtime/app.h"
#include "setok/text/sentencepiece.h"

int main(int argc, char** argv) {
  CLI::App app{"setok_data: generate synthetic scenes, train tokenizer models, convert datasets"};
  app.require_subcommand(1);
  setok::apps::CommonFlags common;
  setok::apps::add_common_flags(app, common);

  std::string out;
  setok::data::SceneDatasetOptions scenes;
  bool no_textures = false;
  CLI::App* shapes = app.add_subcommand(
      "shapes",
      "Synthetic scenes (1-6 coloured shapes on plain or textured backgrounds) with instance "
      "masks and pair / instruct / edit JSON; format in docs/data.md");
  shapes->add_option("--out", out, "output folder")->required();
  shapes->add_option("--num", scenes.num, "number of scenes")->capture_default_str();
  shapes->add_option("--seed", scenes.seed, "world seed (same seed, same bytes)")
      ->capture_default_str();
  shapes->add_option("--image-size", scenes.scene.image_size, "pixels per side")
      ->capture_default_str();
  shapes->add_option("--heldout", scenes.heldout_fraction, "fraction kept for evaluation")
      ->capture_default_str();
  shapes->add_option("--min-objects", scenes.scene.min_objects)->capture_default_str();
  shapes->add_option("--max-objects", scenes.scene.max_objects)->capture_default_str();
  shapes->add_flag("--no-textures", no_textures, "plain backgrounds only");

  std::string input, spm_out;
  setok::text::SpmTrainOptions spm;
  CLI::App* spm_cmd = app.add_subcommand(
      "spm", "Train a SentencePiece model (LLaMA id layout: unk 0, bos 1, eos 2) on a text file");
  spm_cmd->add_option("--input", input, "text file, one sentence per line")->required();
  spm_cmd->add_option("--out", spm_out, "output folder (tokenizer.model, tokenizer.vocab)")
      ->required();
  spm_cmd->add_option("--vocab-size", spm.vocab_size, "pieces")->capture_default_str();
  spm_cmd->add_option("--model-type", spm.model_type, "unigram, bpe, char or word")
      ->check(CLI::IsMember({"unigram", "bpe", "char", "word"}))
      ->capture_default_str();
  spm_cmd->add_flag("--byte-fallback", spm.byte_fallback,
                    "LLaMA's setting: unseen characters (and newlines) become byte pieces "
                    "instead of <unk> (needs --vocab-size > 259)");
  setok::data::ConvertOptions convert;
  std::vector<std::string> convert_inputs;
  std::string convert_root, convert_out, answer_style = "short";
  CLI::App* convert_cmd = app.add_subcommand(
      "convert",
      "A dataset in its publisher's layout (or ours) to our pair / instruct / edit JSON, read by "
      "the same reader training uses; prints the records read, written and skipped "
      "(docs/data.md)");
  convert_cmd
      ->add_option(
          "--type", convert.type,
          "the data entry's type: " + setok::data::dataset_types_text() + " (docs/data.md)")
      ->required();
  convert_cmd
      ->add_option("--input", convert_inputs,
                   "the input file(s); vqav2 / okvqa: questions then annotations; "
                   "imagenet: data.json [class list]; coco_panoptic: panoptic JSON "
                   "[captions JSON]")
      ->required();
  convert_cmd->add_option("--image-root", convert_root,
                          "folder image paths are relative to (default: the input's folder); "
                          "the converted file's paths stay relative to it");
  convert_cmd->add_option("--out", convert_out, "the JSON file to write")->required();
  convert_cmd
      ->add_option("--answer-style", answer_style,
                   "VQA types: short, plain or multiple_choice (aokvqa)")
      ->check(CLI::IsMember({"short", "plain", "multiple_choice"}))
      ->capture_default_str();
  convert_cmd
      ->add_option("--caption-template", convert.caption_template,
                   "imagenet: the caption of a class, {} standing for its name (e.g. \"a photo "
                   "of a {}.\")")
      ->capture_default_str();
  convert_cmd->add_flag("--skip-bad", convert.skip_bad,
                        "skip (and count) malformed records instead of stopping at the first");
  if (const int code = setok::apps::parse_command_line(app, "setok_data", argc, argv); code >= 0)
    return code;

  return setok::runtime::run_app("setok_data", [&] {
    setok::apps::apply_common_flags(common);
    if (app.got_subcommand("shapes")) {
      scenes.scene.textures = !no_textures;
      scenes.threads = common.threads > 0 ? common.threads : 0;
      const auto s = setok::data::write_scene_dataset(out, scenes);
      spdlog::info("wrote {} train + {} held-out scenes ({:.2f} objects per image) to {}", s.train,
                   s.heldout, s.mean_objects, out);
      return 0;
    }
    if (app.got_subcommand("convert")) {
      convert.inputs.assign(convert_inputs.begin(), convert_inputs.end());
      convert.image_root = convert_root;
      convert.out = convert_out;
      convert.answer_style = setok::data::parse_answer_style(answer_style);
      const auto r = setok::data::convert_dataset(convert);
      std::cout << "converted " << convert.type << " -> " << r.kind << " " << convert_out << ": "
                << r.read << " read, " << r.written << " written, " << r.skipped << " skipped\n";
      return 0;
    }
    const auto model = setok::text::train_sentencepiece(input, spm_out, spm);
    const setok::text::SentencePiece sp(model);
    spdlog::info("trained {} ({} pieces)", model.string(), sp.vocab_size());
    return 0;
  });
}
