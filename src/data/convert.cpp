#include "setok/data/convert.h"

#include "setok/data/readers.h"
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
  const ReaderInfo* info = find_dataset_reader(o.type);
  if (info == nullptr)
    throw Error("convert: unknown --type '" + o.type + "' (" + dataset_types_text() + ")");
  const size_t min_inputs = info->second_required ? 2 : 1;
  const size_t max_inputs = info->second == SecondFile::kNone ? 1 : 2;
  if (o.inputs.size() < min_inputs || o.inputs.size() > max_inputs) {
    const std::string takes =
        info->second_required ? "the questions and the annotations files"
        : max_inputs == 2
            ? info->path_help + (info->second == SecondFile::kClasses ? " [and the class list]"
                                                                      : " [and the captions JSON]")
            : info->path_help;
    throw Error("convert --type " + o.type + ": --input takes " + takes + ", got " +
                std::to_string(o.inputs.size()) + " file(s)");
  }
  ReadOptions read;
  read.path = o.inputs[0];
  if (o.inputs.size() > 1) read.second = o.inputs[1];
  read.image_root = o.image_root;
  read.answer_style = o.answer_style;
  read.caption_template = o.caption_template;
  read.skip_bad = o.skip_bad;
  const AnyDataset ds = read_dataset(o.type, read);
  if (const auto* pairs = std::get_if<PairDataset>(&ds))
    return finish(*pairs, pair_records_json(*pairs), "pair", o.out);
  if (const auto* conversations = std::get_if<InstructDataset>(&ds))
    return finish(*conversations, instruct_records_json(*conversations), "instruct", o.out);
  const auto& edits = std::get<EditDataset>(ds);
  return finish(edits, edit_records_json(edits), "edit", o.out);
}

}  // namespace setok::data
