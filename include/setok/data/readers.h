#pragma once
// Every dataset layout a data entry's `type` names (docs/data.md) in one table: what it yields,
// which files it reads, and the function that reads it. The training recipes, `setok_data
// convert` and the config schema all go through it, so a layout is added here once.
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "setok/data/datasets.h"
#include "setok/data/vqa_readers.h"

namespace setok::data {

// The second file some layouts ship (a data entry's key for it).
enum class SecondFile {
  kNone,
  kAnnotations,  // vqav2 / okvqa: the answers (required); coco_panoptic: captions (optional)
  kClasses,      // imagenet: the class list (optional)
};

struct ReaderInfo {
  std::string type;
  DatasetKind kind;       // what its records are
  std::string path_help;  // what the main file is
  SecondFile second = SecondFile::kNone;
  bool second_required = false;
  // Poses its questions in the entry's answer_style (the VQA types); other instruct layouts ask
  // theirs as written (plain).
  bool styled_questions = false;
};

// Every type, ours first (pair, instruct, edit), then the publishers' layouts.
const std::vector<ReaderInfo>& dataset_readers();
// The type's entry; an unknown type is an error listing the known ones.
const ReaderInfo& dataset_reader(const std::string& type);
// The type's entry, nullptr when unknown.
const ReaderInfo* find_dataset_reader(const std::string& type);
// "pair, instruct, ..." for messages and help.
std::string dataset_types_text();

struct ReadOptions {
  std::filesystem::path path;        // the main file
  std::filesystem::path second;      // the second file (ReaderInfo::second), empty = none
  std::filesystem::path image_root;  // empty = the layout's default (docs/data.md)
  std::filesystem::path masks;       // coco_panoptic: the PNG folder (empty = COCO's layout)
  AnswerStyle answer_style = AnswerStyle::kShort;  // the VQA types
  // imagenet: the caption (prompt) of a class, "{}" standing for its name ("a photo of a {}.").
  std::string caption_template = "{}";
  bool skip_bad = false;
};

using AnyDataset = std::variant<PairDataset, InstructDataset, EditDataset>;

// Reads a dataset of `type` with its reader. A required second file that is missing, or one
// given to a layout without it, is an error.
AnyDataset read_dataset(const std::string& type, const ReadOptions& options);

DatasetKind kind_of(const AnyDataset& ds);
size_t size_of(const AnyDataset& ds);

// `caption_template` with "{}" replaced by `name`; a template without "{}" is an error.
std::string fill_caption_template(const std::string& caption_template, const std::string& name);

}  // namespace setok::data
