#include "setok/data/convert.h"

#include "setok/data/coco_captions.h"
#include "setok/data/edit_readers.h"
#include "setok/data/stage1_readers.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
using io::Json;

namespace {

// `p` relative to `root` when it lies under it, else absolute (a relative path outside the root
// would be read back relative to the root).
std::string relative_to(const fs::path& p, const fs::path& root) {
  const fs::path rel = p.lexically_normal().lexically_relative(root.lexically_normal());
  if (rel.empty() || *rel.begin() == "..") return fs::absolute(p).lexically_normal().string();
  return rel.string();
}

void expect_inputs(const ConvertOptions& o, size_t min, size_t max, const char* what) {
  if (o.inputs.size() < min || o.inputs.size() > max)
    throw Error("convert --type " + o.type + ": --input takes " + what + ", got " +
                std::to_string(o.inputs.size()) + " file(s)");
}

const fs::path& nth(const ConvertOptions& o, size_t i) {
  static const fs::path none;
  return i < o.inputs.size() ? o.inputs[i] : none;
}

template <class Record>
ConvertResult finish(const Dataset<Record>& ds, Json records, const char* kind,
                     const fs::path& out) {
  ConvertResult r;
  r.kind = kind;
  r.written = static_cast<int64_t>(records.size());
  r.skipped = ds.skipped;
  r.read = r.written + r.skipped;
  io::write_json(out, records);
  return r;
}

}  // namespace

Json pair_records_json(const PairDataset& ds) {
  Json out = Json::array();
  for (const PairRecord& p : ds.records) {
    Json r = {{"image", relative_to(p.image, ds.image_root)},
              {"caption", p.caption},
              {"phrases", p.phrases}};
    if (!p.mask.empty()) r["mask"] = relative_to(p.mask, ds.image_root);
    if (!p.mask_segments.empty()) r["mask_segments"] = p.mask_segments;
    if (p.num_objects >= 0) r["num_objects"] = p.num_objects;
    out.push_back(std::move(r));
  }
  return out;
}

Json instruct_records_json(const InstructDataset& ds) {
  Json out = Json::array();
  for (const InstructRecord& p : ds.records) {
    Json turns = Json::array();
    for (const Turn& t : p.conversations) turns.push_back({{"from", t.from}, {"value", t.value}});
    Json r = {{"id", p.id}, {"conversations", std::move(turns)}};
    if (!p.image.empty()) r["image"] = relative_to(p.image, ds.image_root);
    out.push_back(std::move(r));
  }
  return out;
}

Json edit_records_json(const EditDataset& ds) {
  Json out = Json::array();
  for (const EditRecord& p : ds.records)
    out.push_back({{"source", relative_to(p.source, ds.image_root)},
                   {"target", relative_to(p.target, ds.image_root)},
                   {"instruction", p.instruction}});
  return out;
}

ConvertResult convert_dataset(const ConvertOptions& o) {
  if (o.out.empty()) throw Error("convert: --out names the JSON file to write");
  const fs::path& root = o.image_root;
  const bool skip = o.skip_bad;
  const std::string& t = o.type;
  if (t == "pair" || t == "coco_captions" || t == "instruct" || t == "aokvqa" || t == "gqa")
    expect_inputs(o, 1, 1, "one file");
  if (t == "pair" || t == "coco_captions") {
    const auto ds = t == "pair" ? load_pair_dataset(nth(o, 0), root, skip)
                                : load_coco_captions(nth(o, 0), root, skip);
    return finish(ds, pair_records_json(ds), "pair", o.out);
  }
  if (t == "instruct") {
    const auto ds = load_instruct_dataset(nth(o, 0), root, skip);
    return finish(ds, instruct_records_json(ds), "instruct", o.out);
  }
  if (t == "edit" || t == "instructpix2pix") {
    expect_inputs(o, 1, 1, t == "edit" ? "one file" : "seeds.json");
    const auto ds = t == "edit" ? load_edit_dataset(nth(o, 0), root, skip)
                                : load_instructpix2pix(nth(o, 0), root, skip);
    return finish(ds, edit_records_json(ds), "edit", o.out);
  }
  if (t == "imagenet" || t == "coco_panoptic") {
    expect_inputs(o, 1, 2,
                  t == "imagenet" ? "data.json [and the class list]"
                                  : "the panoptic JSON [and the captions JSON]");
    const auto ds = t == "imagenet" ? load_imagenet(nth(o, 0), root, nth(o, 1), skip)
                                    : load_coco_panoptic(nth(o, 0), nth(o, 1), {}, root, skip);
    return finish(ds, pair_records_json(ds), "pair", o.out);
  }
  if (t == "vqav2" || t == "okvqa") {
    expect_inputs(o, 2, 2, "the questions and the annotations files");
    const auto ds = load_vqav2(nth(o, 0), nth(o, 1), root, o.answer_style, skip);
    return finish(ds, instruct_records_json(ds), "instruct", o.out);
  }
  if (t == "aokvqa" || t == "gqa") {
    const auto ds = t == "aokvqa" ? load_aokvqa(nth(o, 0), root, o.answer_style, skip)
                                  : load_gqa(nth(o, 0), root, o.answer_style, skip);
    return finish(ds, instruct_records_json(ds), "instruct", o.out);
  }
  throw Error("convert: unknown --type '" + t +
              "' (pair, instruct, edit, imagenet, coco_panoptic, coco_captions, vqav2, okvqa, "
              "aokvqa, gqa, instructpix2pix)");
}

}  // namespace setok::data
