#include "setok/train/train_config.h"

#include <algorithm>
#include <filesystem>

#include "setok/runtime/error.h"

namespace setok::train {

void DatasetEntry::describe(config::Schema& s) {
  std::vector<std::string> types;
  for (const auto& r : data::dataset_readers()) types.push_back(r.type);
  s.choice("type", type, types,
           "record format: pair, instruct, edit (ours) or a publisher's layout (docs/data.md)");
  s.field("name", name, "name the set is reported under (empty = the file's stem)");
  s.field("path", path,
          "the dataset's file (coco_panoptic: panoptic_{split}2017.json; vqav2 / okvqa: the "
          "questions; instructpix2pix: seeds.json; magicbrush: edit_sessions.json)");
  s.field("image_root", image_root,
          "folder image paths are relative to (empty = the JSON's folder; allava: the folder "
          "above it, the release root)");
  s.field("multiple", multiple, "times per epoch (fractions take a per-epoch subset)");
  s.field("annotations", annotations,
          "coco_panoptic: captions_{split}2017.json (optional); vqav2 / okvqa: the annotations "
          "(answers)");
  s.choice("answer_style", answer_style, {"short", "plain", "multiple_choice"},
           "vqav2 / okvqa / aokvqa / gqa: how questions are posed (short: LLaVA's single word or "
           "phrase prompt; multiple_choice: A-OKVQA's lettered choices)");
  s.field("masks", masks,
          "coco_panoptic: folder of the panoptic PNGs (empty = the JSON's path without .json)");
  s.field("classes", classes,
          "imagenet: class names, LOC_synset_mapping.txt or one per line (for integer labels)");
  s.field("caption_template", caption_template,
          "imagenet: the caption (generation prompt) of a class, {} standing for its name, e.g. "
          "\"a photo of a {}.\"");
  s.field("scenes", scenes,
          "pair: the images are the demo world's scenes (setok_data shapes); stage 1's evaluation "
          "then also reads each image and its reconstruction with the scene reader and reports "
          "how often the object count and the colour set agree (docs/training.md)");
}

void DatasetEntry::validate(const std::string& p) const {
  if (path.empty()) config::fail(config::join(p, "path"), "must name a JSON file");
  if (!(multiple >= 0)) config::fail(config::join(p, "multiple"), "must be >= 0");
  const data::ReaderInfo& reader = data::dataset_reader(type);
  const bool reads_annotations = reader.second == data::SecondFile::kAnnotations;
  if (!annotations.empty() && !reads_annotations)
    config::fail(config::join(p, "annotations"),
                 "only coco_panoptic, vqav2 and okvqa read a second file");
  if (annotations.empty() && reader.second_required)
    config::fail(config::join(p, "annotations"),
                 type + " needs its annotations file (the answers) beside the questions in path");
  if (answer_style == "multiple_choice" && type != "aokvqa")
    config::fail(config::join(p, "answer_style"), "multiple_choice is A-OKVQA's (type aokvqa)");
  if (!masks.empty() && type != "coco_panoptic")
    config::fail(config::join(p, "masks"), "only coco_panoptic has a mask folder");
  if (!classes.empty() && reader.second != data::SecondFile::kClasses)
    config::fail(config::join(p, "classes"), "only imagenet reads a class list");
  if (caption_template != "{}" && type != "imagenet")
    config::fail(config::join(p, "caption_template"), "only imagenet captions are templated");
  if (scenes && type != "pair")
    config::fail(config::join(p, "scenes"), "only pair sets hold the demo world's scenes");
  if (caption_template.find("{}") == std::string::npos)
    config::fail(config::join(p, "caption_template"), "needs {} where the class name goes");
}

void DatasetEntry::check_files(const std::string& p) const {
  namespace fs = std::filesystem;
  auto file = [&](const char* key, const std::string& f) {
    if (!f.empty() && !fs::is_regular_file(f))
      config::fail(config::join(p, key), "'" + f + "' is not a file (generate the data first?)");
  };
  auto folder = [&](const char* key, const std::string& f) {
    if (!f.empty() && !fs::is_directory(f))
      config::fail(config::join(p, key), "'" + f + "' is not a folder");
  };
  file("path", path);
  folder("image_root", image_root);
  file("annotations", annotations);
  folder("masks", masks);
  file("classes", classes);
}

data::ReadOptions DatasetEntry::read_options(bool skip_bad) const {
  data::ReadOptions o;
  o.path = path;
  o.second =
      data::dataset_reader(type).second == data::SecondFile::kClasses ? classes : annotations;
  o.image_root = image_root;
  o.masks = masks;
  o.answer_style = data::parse_answer_style(answer_style);
  o.caption_template = caption_template;
  o.skip_bad = skip_bad;
  return o;
}

std::string DatasetEntry::display_name() const {
  return name.empty() ? std::filesystem::path(path).stem().string() : name;
}

void DataConfig::describe(config::Schema& s) {
  s.sections("train", train, "training datasets (a mixture)");
  s.sections("eval", eval, "held-out datasets for evaluation");
  s.field("workers", workers, "loader threads");
  s.field("prefetch_batches", prefetch_batches, "batches decoded ahead");
  s.field("shuffle", shuffle, "shuffle every epoch (deterministic from the seed)");
  s.field("skip_bad_samples", skip_bad_samples, "skip (count, log) bad records instead of failing");
}

void DataConfig::validate(const std::string& p) const {
  if (workers < 1) config::fail(config::join(p, "workers"), "must be >= 1");
  if (prefetch_batches < 1) config::fail(config::join(p, "prefetch_batches"), "must be >= 1");
  for (size_t i = 0; i < eval.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (eval[i].display_name() == eval[j].display_name()) {
        config::fail(config::join(config::join(p, "eval"), std::to_string(i)),
                     "two eval sets are named '" + eval[i].display_name() +
                         "' (results are reported by name): set \"name\"");
      }
    }
  }
}

void TrainConfig::describe(config::Schema& s) {
  s.field("run_dir", run_dir, "folder for checkpoints, metrics, samples and eval.json");
  s.field("steps", steps, "optimizer steps");
  s.field("batch_size", batch_size, "images per rank and micro-batch");
  s.field("grad_accum", grad_accum, "micro-batches per optimizer step");
  s.field("lr", lr, "peak learning rate");
  s.field("min_lr", min_lr, "final learning rate of the cosine schedule");
  s.field("warmup_steps", warmup_steps, "linear warm-up steps");
  s.choice("schedule", schedule, {"cosine", "constant"}, "learning-rate schedule after warm-up");
  s.field("weight_decay", weight_decay, "AdamW decoupled weight decay (matrices only)");
  s.field("beta1", beta1, "AdamW beta1");
  s.field("beta2", beta2, "AdamW beta2");
  s.field("eps", eps, "AdamW epsilon");
  s.field("grad_clip", grad_clip, "global gradient-norm clip (0 = off)");
  s.choice("precision", precision, {"fp32", "bf16"},
           "bf16 = autocast on CUDA, fp32 master weights");
  s.field("activation_checkpointing", activation_checkpointing,
          "recompute transformer blocks in backward instead of storing activations (saves "
          "memory, costs about one more forward)");
  s.field("ema_decay", ema_decay,
          "exponential moving average of the trainable weights, e.g. 0.999 (0 = off); kept in "
          "checkpoints as ema.safetensors");
  s.field("ema_eval", ema_eval, "evaluate and draw sample sheets with the EMA weights");
  s.field("checkpoint_every", checkpoint_every, "steps between checkpoints");
  s.field("keep_last", keep_last, "checkpoints kept (0 = all)");
  s.field("eval_every", eval_every, "steps between evaluations (0 = before and after training)");
  s.field("eval_batches", eval_batches, "held-out batches per evaluation (0 = all)");
  s.field("sample_every", sample_every, "steps between PNG sheets (0 = off)");
}

void TrainConfig::validate(const std::string& p) const {
  auto at = [&](const char* k) { return config::join(p, k); };
  if (run_dir.empty()) config::fail(at("run_dir"), "must not be empty");
  if (steps < 1) config::fail(at("steps"), "must be >= 1");
  if (batch_size < 1) config::fail(at("batch_size"), "must be >= 1");
  if (grad_accum < 1) config::fail(at("grad_accum"), "must be >= 1");
  if (!(lr > 0)) config::fail(at("lr"), "must be > 0");
  if (min_lr < 0 || min_lr > lr) config::fail(at("min_lr"), "must be in [0, lr]");
  if (warmup_steps < 0) config::fail(at("warmup_steps"), "must be >= 0");
  if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1)
    config::fail(at("beta1"), "betas must be in [0, 1)");
  if (grad_clip < 0) config::fail(at("grad_clip"), "must be >= 0");
  if (ema_decay < 0 || ema_decay >= 1) config::fail(at("ema_decay"), "must be in [0, 1)");
  if (checkpoint_every < 1) config::fail(at("checkpoint_every"), "must be >= 1");
  if (keep_last < 0) config::fail(at("keep_last"), "must be >= 0");
  if (eval_every < 0 || eval_batches < 0 || sample_every < 0)
    config::fail(p, "eval / sample periods must be >= 0");
}

}  // namespace setok::train
