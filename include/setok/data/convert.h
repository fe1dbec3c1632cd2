#pragma once
// `setok_data convert`: any supported publisher layout to our JSON (pair / instruct / edit,
// docs/data.md), so a user can inspect, filter and mix datasets without writing Python. The
// input is read by the same reader training uses (so a converted file trains exactly like its
// source); image paths are written relative to the image root, which the converted file's data
// entry names again.
#include <filesystem>
#include <string>
#include <vector>

#include "setok/data/datasets.h"
#include "setok/data/readers.h"
#include "setok/data/vqa_readers.h"
#include "setok/io/json.h"

namespace setok::data {

struct ConvertOptions {
  // A data entry's type (data/readers.h): pair | instruct | edit (ours, rewritten) or a
  // publisher's layout.
  std::string type;
  // The input file(s): one, except vqav2 / okvqa (questions, annotations), imagenet (data.json
  // [, class list]) and coco_panoptic (panoptic JSON [, captions JSON]).
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path image_root;  // empty = the first input's folder
  std::filesystem::path out;         // the JSON file to write (atomically)
  AnswerStyle answer_style = AnswerStyle::kShort;
  std::string caption_template = "{}";  // imagenet: "{}" is the class name
  bool skip_bad = false;
};

struct ConvertResult {
  std::string kind;  // pair | instruct | edit: what was written
  int64_t read = 0, written = 0, skipped = 0;
};

ConvertResult convert_dataset(const ConvertOptions& options);

// One record as our JSON, image paths relative to `image_root` where they lie under it.
io::Json record_json(const PairRecord& record, const std::filesystem::path& image_root);
io::Json record_json(const InstructRecord& record, const std::filesystem::path& image_root);
io::Json record_json(const EditRecord& record, const std::filesystem::path& image_root);

// `ds` as our JSON, a record per line, written atomically record by record (no whole-file tree).
void write_dataset_json(const AnyDataset& ds, const std::filesystem::path& out);

}  // namespace setok::data
