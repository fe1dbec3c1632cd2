#include "setok/data/coco_captions.h"

#include <unordered_map>

#include "record_fields.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
using detail::Fields;
using io::Json;

namespace {

std::string trimmed(const std::string& s) {
  const char* space = " \t\n\r\v\f";
  const size_t b = s.find_first_not_of(space);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(space) - b + 1);
}

}  // namespace

PairDataset load_coco_captions(const fs::path& captions_json, const fs::path& image_root,
                               bool skip_bad) {
  auto ds = detail::new_dataset<PairRecord>(captions_json, image_root);
  const Json root = io::read_json(captions_json);
  const std::string label = captions_json.string();
  for (const char* key : {"images", "annotations"})
    if (!root.is_object() || !root.contains(key) || !root[key].is_array())
      throw Error(label + ": a COCO captions file needs the array \"" + std::string(key) + "\"");
  std::unordered_map<int64_t, std::string> file_of;
  for (size_t i = 0; i < root["images"].size(); ++i) {
    const Fields f{root["images"][i], label + ": images " + std::to_string(i)};
    if (!f.j.is_object()) throw Error(f.where + ": expected an object");
    file_of[f.integer("id")] = f.string("file_name");
  }
  detail::parse_records(
      ds, root["annotations"], label, "annotation", skip_bad,
      [&](const Fields& f, const fs::path& dir) {
        const int64_t id = f.integer("image_id");
        const auto it = file_of.find(id);
        if (it == file_of.end())
          throw Error(f.where + ": image_id " + std::to_string(id) + " is not in \"images\"");
        PairRecord r;
        r.image = detail::resolve(dir, it->second);
        r.caption = trimmed(f.string("caption"));
        if (r.caption.empty()) throw Error(f.where + ": empty caption");
        return r;
      });
  return ds;
}

}  // namespace setok::data
