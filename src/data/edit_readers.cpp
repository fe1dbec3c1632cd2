#include "setok/data/edit_readers.h"

#include "record_fields.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
using detail::Fields;
using io::Json;

EditDataset load_instructpix2pix(const fs::path& seeds_json, const fs::path& image_root,
                                 bool skip_bad) {
  auto ds = detail::new_dataset<EditRecord>(seeds_json, image_root);
  const Json seeds = io::read_json(seeds_json);
  if (!seeds.is_array())
    throw Error(seeds_json.string() + ": seeds.json is a JSON array of [prompt folder, [seeds]]");
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string where = seeds_json.string() + ": entry " + std::to_string(i);
    try {
      const Json& e = seeds[i];
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_array())
        throw Error(where + ": expected [prompt folder, [seed, ...]]");
      const fs::path folder = ds.image_root / e[0].get<std::string>();
      const fs::path prompt_file = folder / "prompt.json";
      std::string edit;
      try {
        const Json prompt = io::read_json(prompt_file);
        if (!prompt.is_object()) throw Error(prompt_file.string() + ": expected an object");
        edit = Fields{prompt, prompt_file.string()}.string("edit");
      } catch (const Error& inner) {
        throw Error(where + ": " + inner.what());
      }
      std::vector<EditRecord> records;  // all of the entry's seeds, or none
      for (const Json& seed : e[1]) {
        if (!seed.is_number_integer() && !seed.is_string())
          throw Error(where + ": seeds must be integers or strings");
        const std::string s = seed.is_string() ? seed.get<std::string>() : seed.dump();
        records.push_back({folder / (s + "_0.jpg"), folder / (s + "_1.jpg"), edit});
      }
      for (auto& r : records) {
        ds.records.push_back(std::move(r));
        ds.record_index.push_back(static_cast<int64_t>(i));
      }
    } catch (const Error& err) {
      if (!skip_bad) throw;
      ++ds.skipped;
      spdlog::warn("skipping bad entry ({} skipped so far): {}", ds.skipped, err.what());
    }
  }
  return ds;
}

EditDataset load_magicbrush(const fs::path& edit_sessions_json, const fs::path& image_root,
                            bool skip_bad) {
  auto ds = detail::new_dataset<EditRecord>(edit_sessions_json, image_root);
  const Json sessions = io::read_json(edit_sessions_json);
  const std::string label = edit_sessions_json.string();
  if (!sessions.is_object())
    throw Error(label + ": edit_sessions.json is an object of image id -> [turns]");
  size_t index = 0;  // turns so far, across sessions
  for (const auto& [image_id, turns] : sessions.items()) {
    const std::string where = label + ": session " + image_id;
    if (!turns.is_array()) {
      const Error err(where + ": expected an array of turns");
      if (!skip_bad) throw err;
      ++ds.skipped;
      spdlog::warn("skipping bad session ({} skipped so far): {}", ds.skipped, err.what());
      continue;
    }
    const fs::path folder = ds.image_root / "images" / image_id;
    for (size_t t = 0; t < turns.size(); ++t, ++index) {
      detail::parse_entry(ds, turns[t], index, where + ": turn " + std::to_string(t), "turn",
                          skip_bad, [&](const Fields& f, const fs::path&) {
                            return EditRecord{folder / f.string("input"),
                                              folder / f.string("output"), f.string("instruction")};
                          });
    }
  }
  return ds;
}

}  // namespace setok::data
