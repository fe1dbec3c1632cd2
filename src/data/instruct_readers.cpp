#include "setok/data/instruct_readers.h"

#include "record_fields.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
using detail::Fields;

InstructDataset load_allava(const fs::path& file, const fs::path& image_root, bool skip_bad) {
  // The release root: image paths start with the JSON's own folder ("allava_laion/images/...").
  const fs::path root = image_root.empty() ? file.parent_path().parent_path() : image_root;
  return detail::load<InstructRecord>(file, root.empty() ? fs::path(".") : root, skip_bad, "ALLaVA",
                                      detail::parse_instruct_record);
}

InstructDataset load_pandagpt(const fs::path& file, const fs::path& image_root, bool skip_bad) {
  return detail::load<InstructRecord>(
      file, image_root, skip_bad, "PandaGPT", [](const Fields& f, const fs::path& root) {
        InstructRecord r;
        std::string name = f.string("image_name");
        if (name.empty()) throw Error(f.where + ": empty \"image_name\"");
        r.id = name;
        if (name.size() < 4 || name.compare(name.size() - 4, 4, ".jpg") != 0) name += ".jpg";
        r.image = detail::resolve(root, name);
        r.conversations = detail::parse_turns(f, "conversation");
        bool marked = false;
        for (const Turn& t : r.conversations)
          marked = marked || t.value.find("<image>") != std::string::npos;
        if (!marked) {
          if (r.conversations.front().from != "human")
            throw Error(f.where + ": the conversation must open with a human turn");
          r.conversations.front().value = "<image>\n" + r.conversations.front().value;
        }
        return r;
      });
}

}  // namespace setok::data
