#include "setok/data/datasets.h"

#include <spdlog/spdlog.h>

#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
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

namespace {

// Field access that names the record in errors.
struct Fields {
  const Json& j;
  std::string where;

  const Json* get(const char* key, bool required) const {
    if (!j.contains(key) || j[key].is_null()) {
      if (required) throw Error(where + ": missing \"" + key + "\"");
      return nullptr;
    }
    return &j[key];
  }
  std::string string(const char* key, bool required = true) const {
    const Json* v = get(key, required);
    if (v == nullptr) return "";
    if (!v->is_string())
      throw Error(where + ": \"" + key + "\" must be a string, got " + v->type_name());
    return v->get<std::string>();
  }
  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    const Json* v = get(key, false);
    if (v == nullptr) return out;
    if (!v->is_array()) throw Error(where + ": \"" + key + "\" must be an array of strings");
    for (const auto& s : *v) {
      if (!s.is_string()) throw Error(where + ": \"" + key + "\" must hold only strings");
      out.push_back(s.get<std::string>());
    }
    return out;
  }
};

fs::path resolve(const fs::path& root, const std::string& p) {
  const fs::path path(p);
  return path.is_absolute() ? path : root / path;
}

template <class Record, class Parse>
Dataset<Record> load(const fs::path& file, const fs::path& root_in, bool skip_bad, const char* kind,
                     Parse&& parse) {
  Dataset<Record> ds;
  ds.file = file;
  ds.image_root = root_in.empty() ? file.parent_path() : root_in;
  const Json root = io::read_json(file);
  if (!root.is_array())
    throw Error(file.string() + ": a " + std::string(kind) +
                " dataset must be a JSON array of records");
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string where = file.string() + ": record " + std::to_string(i);
    try {
      if (!root[i].is_object())
        throw Error(where + ": expected an object, got " + root[i].type_name());
      ds.records.push_back(parse(Fields{root[i], where}, ds.image_root));
      ds.record_index.push_back(static_cast<int64_t>(i));
    } catch (const Error& e) {
      if (!skip_bad) throw;
      ++ds.skipped;
      spdlog::warn("skipping bad record ({} skipped so far): {}", ds.skipped, e.what());
    }
  }
  return ds;
}

}  // namespace

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
                            if (const Json* n = f.get("num_objects", false)) {
                              if (!n->is_number_integer())
                                throw Error(f.where + ": \"num_objects\" must be an integer");
                              r.num_objects = n->get<int64_t>();
                            }
                            return r;
                          });
}

InstructDataset load_instruct_dataset(const fs::path& file, const fs::path& image_root,
                                      bool skip_bad) {
  return load<InstructRecord>(
      file, image_root, skip_bad, "instruct", [](const Fields& f, const fs::path& root) {
        InstructRecord r;
        if (const Json* id = f.get("id", false))
          r.id = id->is_string() ? id->get<std::string>() : id->dump();
        const std::string image = f.string("image", false);
        if (!image.empty()) r.image = resolve(root, image);
        const Json* conv = f.get("conversations", true);
        if (!conv->is_array() || conv->empty())
          throw Error(f.where + ": \"conversations\" must be a non-empty array");
        for (size_t t = 0; t < conv->size(); ++t) {
          const Fields turn{(*conv)[t], f.where + ": conversations." + std::to_string(t)};
          if (!turn.j.is_object()) throw Error(turn.where + ": expected an object");
          Turn x{turn.string("from"), turn.string("value")};
          if (x.from != "human" && x.from != "gpt") {
            throw Error(turn.where + ": \"from\" must be human or gpt, got '" + x.from + "'");
          }
          r.conversations.push_back(std::move(x));
        }
        return r;
      });
}

EditDataset load_edit_dataset(const fs::path& file, const fs::path& image_root, bool skip_bad) {
  return load<EditRecord>(
      file, image_root, skip_bad, "edit", [](const Fields& f, const fs::path& root) {
        return EditRecord{resolve(root, f.string("source")), resolve(root, f.string("target")),
                          f.string("instruction")};
      });
}

}  // namespace setok::data
