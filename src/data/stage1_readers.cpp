#include "setok/data/stage1_readers.h"

#include <fstream>
#include <map>
#include <regex>

#include <spdlog/spdlog.h>

#include "record_fields.h"

namespace setok::data {

namespace fs = std::filesystem;
using detail::Fields;
using io::Json;

namespace {

struct ClassNames {
  std::vector<std::string> by_index;
  std::map<std::string, std::string> by_wnid;
};

// LOC_synset_mapping.txt ("n01440764 tench, Tinca tinca") or one name per line.
ClassNames read_class_names(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot open the class list");
  static const std::regex wnid_line(R"(^(n\d{8})\s+(.*)$)");
  ClassNames out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::smatch m;
    std::string name = line;
    if (std::regex_match(line, m, wnid_line)) {
      name = m[2].str();
      out.by_wnid[m[1].str()] = name.substr(0, name.find(','));
    }
    name = name.substr(0, name.find(','));
    if (name.empty()) throw Error(file.string() + ":" + std::to_string(n) + ": empty class name");
    out.by_index.push_back(name);
  }
  if (out.by_index.empty()) throw Error(file.string() + ": no classes");
  return out;
}

std::string class_name(const Fields& f, const ClassNames& classes, bool have_classes) {
  for (const char* key : {"class_name", "class"}) {
    if (f.j.contains(key)) return f.string(key);
  }
  const Json* label = f.get("label", true);
  if (label->is_number_integer()) {
    const int64_t k = label->get<int64_t>();
    if (!have_classes)
      throw Error(f.where + ": an integer \"label\" needs a class list (data entry \"classes\")");
    if (k < 0 || k >= static_cast<int64_t>(classes.by_index.size())) {
      throw Error(f.where + ": label " + std::to_string(k) + " outside the class list's " +
                  std::to_string(classes.by_index.size()) + " classes");
    }
    return classes.by_index[static_cast<size_t>(k)];
  }
  if (!label->is_string())
    throw Error(f.where + ": \"label\" must be an integer or a string, got " + label->type_name());
  const std::string s = label->get<std::string>();
  const auto it = classes.by_wnid.find(s);
  if (it != classes.by_wnid.end()) return it->second;
  if (have_classes && std::regex_match(s, std::regex(R"(n\d{8})")))
    throw Error(f.where + ": WordNet id '" + s + "' is not in the class list");
  return s;
}

}  // namespace

PairDataset load_imagenet(const fs::path& data_json, const fs::path& image_root,
                          const fs::path& classes_file, bool skip_bad) {
  const bool have_classes = !classes_file.empty();
  const ClassNames classes = have_classes ? read_class_names(classes_file) : ClassNames{};
  return detail::load<PairRecord>(data_json, image_root, skip_bad, "ImageNet",
                                  [&](const Fields& f, const fs::path& root) {
                                    PairRecord r;
                                    r.image = detail::resolve(root, f.string("image"));
                                    r.caption = class_name(f, classes, have_classes);
                                    r.phrases = {r.caption};
                                    return r;
                                  });
}

PairDataset load_coco_panoptic(const fs::path& panoptic_json, const fs::path& captions_json,
                               const fs::path& masks_in, const fs::path& image_root,
                               bool skip_bad) {
  auto ds = detail::new_dataset<PairRecord>(panoptic_json, image_root);
  const fs::path masks =
      masks_in.empty() ? panoptic_json.parent_path() / panoptic_json.stem() : masks_in;
  const Json pan = io::read_json(panoptic_json);
  const std::string label = panoptic_json.string();
  for (const char* key : {"images", "annotations", "categories"}) {
    if (!pan.is_object() || !pan.contains(key) || !pan[key].is_array())
      throw Error(label + ": a COCO panoptic file needs the array \"" + std::string(key) + "\"");
  }
  std::map<int64_t, std::string> category, image_file;
  for (size_t i = 0; i < pan["categories"].size(); ++i) {
    const Fields f{pan["categories"][i], label + ": categories " + std::to_string(i)};
    category[f.integer("id")] = f.string("name");
  }
  for (size_t i = 0; i < pan["images"].size(); ++i) {
    const Fields f{pan["images"][i], label + ": images " + std::to_string(i)};
    image_file[f.integer("id")] = f.string("file_name");
  }
  std::map<int64_t, std::string> caption;  // first caption of each image, in file order
  if (!captions_json.empty()) {
    const Json cap = io::read_json(captions_json);
    if (!cap.is_object() || !cap.contains("annotations") || !cap["annotations"].is_array())
      throw Error(captions_json.string() + ": a COCO captions file needs \"annotations\"");
    for (size_t i = 0; i < cap["annotations"].size(); ++i) {
      const Fields f{cap["annotations"][i],
                     captions_json.string() + ": annotations " + std::to_string(i)};
      caption.emplace(f.integer("image_id"), f.string("caption"));
    }
  }
  int64_t empty = 0;
  detail::parse_records(
      ds, pan["annotations"], label, "annotation", skip_bad,
      [&](const Fields& f, const fs::path& root) {
        PairRecord r;
        const int64_t id = f.integer("image_id");
        const auto img = image_file.find(id);
        if (img == image_file.end())
          throw Error(f.where + ": image_id " + std::to_string(id) + " is not in \"images\"");
        r.image = detail::resolve(root, img->second);
        r.mask = detail::resolve(masks, f.string("file_name"));
        const Json* segs = f.get("segments_info", true);
        if (!segs->is_array()) throw Error(f.where + ": \"segments_info\" must be an array");
        for (size_t s = 0; s < segs->size(); ++s) {
          const Fields seg{(*segs)[s], f.where + ": segments_info " + std::to_string(s)};
          const int64_t cat = seg.integer("category_id");
          const auto name = category.find(cat);
          if (name == category.end())
            throw Error(seg.where + ": category_id " + std::to_string(cat) + " is not defined");
          r.phrases.push_back(name->second);
          r.mask_segments.push_back(seg.integer("id"));
        }
        r.num_objects = static_cast<int64_t>(r.phrases.size());
        const auto c = caption.find(id);
        if (c != caption.end()) {
          r.caption = c->second;
        } else {
          for (const auto& p : r.phrases) r.caption += (r.caption.empty() ? "" : ", ") + p;
        }
        return r;
      });
  // Images with nothing annotated carry no concept: left out, as the released loader does.
  PairDataset kept;
  kept.file = ds.file;
  kept.image_root = ds.image_root;
  kept.skipped = ds.skipped;
  for (size_t i = 0; i < ds.records.size(); ++i) {
    if (ds.records[i].phrases.empty()) {
      ++empty;
      continue;
    }
    kept.records.push_back(std::move(ds.records[i]));
    kept.record_index.push_back(ds.record_index[i]);
  }
  if (empty > 0) spdlog::info("{}: {} annotation(s) without segments left out", label, empty);
  return kept;
}

}  // namespace setok::data
