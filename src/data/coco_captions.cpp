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
  const std::string label = captions_json.string();
  // Annotations are streamed; their image names come from "images", which may follow them.
  std::vector<int64_t> image_ids;  // per record
  const Json rest = io::stream_json_array(captions_json, "annotations", [&](size_t i, Json& a) {
    detail::parse_entry(ds, a, i, label + ": annotation " + std::to_string(i), "annotation",
                        skip_bad, [&](const Fields& f, const fs::path&) {
                          PairRecord r;
                          r.caption = trimmed(f.string("caption"));
                          if (r.caption.empty()) throw Error(f.where + ": empty caption");
                          image_ids.push_back(f.integer("image_id"));
                          return r;
                        });
  });
  for (const char* key : {"images", "annotations"})
    if (!rest.is_object() || !rest.contains(key) || !rest[key].is_array())
      throw Error(label + ": a COCO captions file needs the array \"" + std::string(key) + "\"");
  std::unordered_map<int64_t, std::string> file_of;
  for (size_t i = 0; i < rest["images"].size(); ++i) {
    const Fields f{rest["images"][i], label + ": images " + std::to_string(i)};
    if (!f.j.is_object()) throw Error(f.where + ": expected an object");
    file_of[f.integer("id")] = f.string("file_name");
  }
  // The join: an annotation of an unlisted image is a bad record like any other.
  auto joined = detail::new_dataset<PairRecord>(captions_json, image_root);
  joined.skipped = ds.skipped;
  for (size_t r = 0; r < ds.records.size(); ++r) {
    const auto it = file_of.find(image_ids[r]);
    if (it == file_of.end()) {
      const Error err(label + ": annotation " + std::to_string(ds.record_index[r]) + ": image_id " +
                      std::to_string(image_ids[r]) + " is not in \"images\"");
      if (!skip_bad) throw err;
      ++joined.skipped;
      spdlog::warn("skipping bad annotation ({} skipped so far): {}", joined.skipped, err.what());
      continue;
    }
    ds.records[r].image = detail::resolve(joined.image_root, it->second);
    joined.records.push_back(std::move(ds.records[r]));
    joined.record_index.push_back(ds.record_index[r]);
  }
  return joined;
}

}  // namespace setok::data
