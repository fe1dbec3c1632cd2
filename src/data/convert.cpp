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

}  // namespace

Json record_json(const PairRecord& p, const fs::path& root) {
  Json r = {{"image", relative_to(p.image, root)}, {"caption", p.caption}, {"phrases", p.phrases}};
  if (!p.mask.empty()) r["mask"] = relative_to(p.mask, root);
  if (!p.mask_segments.empty()) r["mask_segments"] = p.mask_segments;
  if (p.num_objects >= 0) r["num_objects"] = p.num_objects;
  return r;
}

Json record_json(const InstructRecord& p, const fs::path& root) {
  Json turns = Json::array();
  for (const Turn& t : p.conversations) turns.push_back({{"from", t.from}, {"value", t.value}});
  Json r = {{"id", p.id}, {"conversations", std::move(turns)}};
  if (!p.image.empty()) r["image"] = relative_to(p.image, root);
  return r;
}

Json record_json(const EditRecord& p, const fs::path& root) {
  return {{"source", relative_to(p.source, root)},
          {"target", relative_to(p.target, root)},
          {"instruction", p.instruction}};
}

void write_dataset_json(const AnyDataset& any, const fs::path& out) {
  std::visit(
      [&](const auto& ds) {
        io::AtomicFileWriter writer(out);
        writer.write("[");
        for (size_t i = 0; i < ds.records.size(); ++i) {
          writer.write(i == 0 ? "\n" : ",\n");
          writer.write(record_json(ds.records[i], ds.image_root).dump());
        }
        writer.write("\n]\n");
        writer.commit();
      },
      any);
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
  write_dataset_json(ds, o.out);
  ConvertResult r;
  const DatasetKind kind = kind_of(ds);
  r.kind = kind == DatasetKind::kPair       ? "pair"
           : kind == DatasetKind::kInstruct ? "instruct"
                                            : "edit";
  r.written = static_cast<int64_t>(size_of(ds));
  r.skipped = std::visit([](const auto& d) { return d.skipped; }, ds);
  r.read = r.written + r.skipped;
  return r;
}

}  // namespace setok::data
