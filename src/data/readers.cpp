#include "setok/data/readers.h"

#include <functional>

#include "setok/data/coco_captions.h"
#include "setok/data/edit_readers.h"
#include "setok/data/instruct_readers.h"
#include "setok/data/stage1_readers.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace {

using Read = std::function<AnyDataset(const ReadOptions&)>;

struct Reader {
  ReaderInfo info;
  Read read;
};

// The main file, image root and skip flag, the arguments every reader takes.
template <class Dataset>
Read simple(Dataset (*load)(const std::filesystem::path&, const std::filesystem::path&, bool)) {
  return
      [load](const ReadOptions& o) -> AnyDataset { return load(o.path, o.image_root, o.skip_bad); };
}

const std::vector<Reader>& readers() {
  using K = DatasetKind;
  using S = SecondFile;
  static const std::vector<Reader> table = {
      {{"pair", K::kPair, "our pair JSON (or CC3M's key / caption records)"},
       simple(load_pair_dataset)},
      {{"instruct", K::kInstruct, "LLaVA-layout conversations (ours, LLaVA-Instruct-150K)"},
       simple(load_instruct_dataset)},
      {{"edit", K::kEdit, "our edit JSON (source, target, instruction)"},
       simple(load_edit_dataset)},
      {{"imagenet", K::kPair, "ImageNet-1K data.json", S::kClasses},
       [](const ReadOptions& o) -> AnyDataset {
         PairDataset ds = load_imagenet(o.path, o.image_root, o.second, o.skip_bad);
         if (o.caption_template != "{}")
           for (auto& r : ds.records)
             r.caption = fill_caption_template(o.caption_template, r.caption);
         return ds;
       }},
      {{"coco_panoptic", K::kPair, "panoptic_{split}2017.json", S::kAnnotations},
       [](const ReadOptions& o) -> AnyDataset {
         return load_coco_panoptic(o.path, o.second, o.masks, o.image_root, o.skip_bad);
       }},
      {{"coco_captions", K::kPair, "captions_{split}2017.json (or 2014)"},
       simple(load_coco_captions)},
      {{"vqav2", K::kInstruct, "the questions file", S::kAnnotations, true, true},
       [](const ReadOptions& o) -> AnyDataset {
         return load_vqav2(o.path, o.second, o.image_root, o.answer_style, o.skip_bad);
       }},
      {{"okvqa", K::kInstruct, "the questions file", S::kAnnotations, true, true},
       [](const ReadOptions& o) -> AnyDataset {
         return load_vqav2(o.path, o.second, o.image_root, o.answer_style, o.skip_bad);
       }},
      {{"aokvqa", K::kInstruct, "aokvqa_v1p0_{split}.json", S::kNone, false, true},
       [](const ReadOptions& o) -> AnyDataset {
         return load_aokvqa(o.path, o.image_root, o.answer_style, o.skip_bad);
       }},
      {{"gqa", K::kInstruct, "{split}_balanced_questions.json", S::kNone, false, true},
       [](const ReadOptions& o) -> AnyDataset {
         return load_gqa(o.path, o.image_root, o.answer_style, o.skip_bad);
       }},
      {{"allava", K::kInstruct, "an ALLaVA-4V file (e.g. ALLaVA-Instruct-LAION-4V.json)"},
       simple(load_allava)},
      {{"pandagpt", K::kInstruct, "pandagpt4_visual_instruction_data.json"}, simple(load_pandagpt)},
      {{"instructpix2pix", K::kEdit, "seeds.json"}, simple(load_instructpix2pix)},
      {{"magicbrush", K::kEdit, "edit_sessions.json"}, simple(load_magicbrush)},
  };
  return table;
}

const Reader& reader(const std::string& type) {
  for (const Reader& r : readers())
    if (r.info.type == type) return r;
  throw Error("unknown dataset type '" + type + "' (" + dataset_types_text() + ")");
}

}  // namespace

const std::vector<ReaderInfo>& dataset_readers() {
  static const std::vector<ReaderInfo> infos = [] {
    std::vector<ReaderInfo> out;
    for (const Reader& r : readers()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

const ReaderInfo& dataset_reader(const std::string& type) {
  return reader(type).info;
}

const ReaderInfo* find_dataset_reader(const std::string& type) {
  for (const ReaderInfo& r : dataset_readers())
    if (r.type == type) return &r;
  return nullptr;
}

std::string dataset_types_text() {
  std::string text;
  for (const Reader& r : readers()) text += (text.empty() ? "" : ", ") + r.info.type;
  return text;
}

AnyDataset read_dataset(const std::string& type, const ReadOptions& options) {
  const Reader& r = reader(type);
  if (r.info.second == SecondFile::kNone && !options.second.empty())
    throw Error(options.path.string() + ": a " + type + " dataset reads one file, not also '" +
                options.second.string() + "'");
  if (r.info.second_required && options.second.empty())
    throw Error(options.path.string() + ": a " + type +
                " dataset needs its annotations file (the answers) too");
  if (options.answer_style == AnswerStyle::kMultipleChoice && type != "aokvqa")
    throw Error(options.path.string() + ": answer style multiple_choice is A-OKVQA's");
  if (options.caption_template != "{}" && type != "imagenet")
    throw Error(options.path.string() + ": a caption template is for imagenet class names");
  return r.read(options);
}

DatasetKind kind_of(const AnyDataset& ds) {
  if (std::holds_alternative<PairDataset>(ds)) return DatasetKind::kPair;
  if (std::holds_alternative<InstructDataset>(ds)) return DatasetKind::kInstruct;
  return DatasetKind::kEdit;
}

size_t size_of(const AnyDataset& ds) {
  return std::visit([](const auto& d) { return d.size(); }, ds);
}

std::string fill_caption_template(const std::string& caption_template, const std::string& name) {
  const size_t at = caption_template.find("{}");
  if (at == std::string::npos)
    throw Error("caption template '" + caption_template + "' needs \"{}\" for the class name");
  std::string out = caption_template;
  out.replace(at, 2, name);
  return out;
}

}  // namespace setok::data
