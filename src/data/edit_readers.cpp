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
  EditDataset ds;
  ds.file = seeds_json;
  ds.image_root = image_root.empty() ? seeds_json.parent_path() : image_root;
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

}  // namespace setok::data
