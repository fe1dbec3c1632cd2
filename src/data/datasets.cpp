#include "setok/data/datasets.h"

#include <spdlog/spdlog.h>

#include "record_fields.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
using detail::Fields;
using detail::load;
using detail::resolve;
using io::Json;

DatasetKind parse_dataset_kind(const std::string& name) {
  if (name == "pair") return DatasetKind::kPair;
  if (name == "instruct") return DatasetKind::kInstruct;
  if (name == "edit") return DatasetKind::kEdit;
  throw Error("dataset type must be pair, instruct or edit, got '" + name + "'");
}

template <class Record>
std::string Dataset<Record>::where(size_t i) const {
  return file.string() + ": record " + std::to_string(record_index.at(i));
}

template struct Dataset<PairRecord>;
template struct Dataset<InstructRecord>;
template struct Dataset<EditRecord>;

PairDataset load_pair_dataset(const fs::path& file, const fs::path& image_root, bool skip_bad) {
  return load<PairRecord>(file, image_root, skip_bad, "pair",
                          [](const Fields& f, const fs::path& root) {
                            PairRecord r;
                            if (f.j.contains("image")) {
                              r.image = resolve(root, f.string("image"));
                            } else if (f.j.contains("key")) {
                              r.image = resolve(root, f.string("key") + ".jpg");  // CC3M layout
                            } else {
                              throw Error(f.where + ": needs \"image\" (or CC3M's \"key\")");
                            }
                            r.caption = f.string("caption");
                            r.phrases = f.strings("phrases");
                            const std::string mask = f.string("mask", false);
                            if (!mask.empty()) r.mask = resolve(root, mask);
                            if (const Json* seg = f.get("mask_segments", false)) {
                              // A panoptic PNG's segment ids, one per phrase (setok_data
                              // convert writes them for coco_panoptic).
                              if (!seg->is_array())
                                throw Error(f.where + ": \"mask_segments\" must be an array");
                              for (const auto& id : *seg) {
                                if (!id.is_number_integer())
                                  throw Error(f.where + ": \"mask_segments\" must hold integers");
                                r.mask_segments.push_back(id.get<int64_t>());
                              }
                            }
                            if (const Json* n = f.get("num_objects", false)) {
                              if (!n->is_number_integer())
                                throw Error(f.where + ": \"num_objects\" must be an integer");
                              r.num_objects = n->get<int64_t>();
                            }
                            return r;
                          });
}

namespace detail {

std::vector<Turn> parse_turns(const Fields& f, const char* key) {
  const Json* conv = f.get(key, true);
  if (!conv->is_array() || conv->empty())
    throw Error(f.where + ": \"" + key + "\" must be a non-empty array");
  std::vector<Turn> turns;
  for (size_t t = 0; t < conv->size(); ++t) {
    const Fields turn{(*conv)[t], f.where + ": " + key + "." + std::to_string(t)};
    if (!turn.j.is_object()) throw Error(turn.where + ": expected an object");
    Turn x{turn.string("from"), turn.string("value")};
    if (x.from != "human" && x.from != "gpt")
      throw Error(turn.where + ": \"from\" must be human or gpt, got '" + x.from + "'");
    turns.push_back(std::move(x));
  }
  return turns;
}

InstructRecord parse_instruct_record(const Fields& f, const fs::path& root) {
  InstructRecord r;
  for (const char* key : {"id", "idx"}) {  // ALLaVA's text-only file says "idx"
    if (const Json* id = f.get(key, false)) {
      r.id = id->is_string() ? id->get<std::string>() : id->dump();
      break;
    }
  }
  const std::string image = f.string("image", false);
  if (!image.empty()) r.image = resolve(root, image);
  r.conversations = parse_turns(f, "conversations");
  return r;
}

}  // namespace detail

InstructDataset load_instruct_dataset(const fs::path& file, const fs::path& image_root,
                                      bool skip_bad) {
  return load<InstructRecord>(file, image_root, skip_bad, "instruct",
                              detail::parse_instruct_record);
}

EditDataset load_edit_dataset(const fs::path& file, const fs::path& image_root, bool skip_bad) {
  return load<EditRecord>(
      file, image_root, skip_bad, "edit", [](const Fields& f, const fs::path& root) {
        return EditRecord{resolve(root, f.string("source")), resolve(root, f.string("target")),
                          f.string("instruction")};
      });
}

}  // namespace setok::data
