#pragma once
// JSON datasets (DESIGN §5.11). Each file is a JSON array with one record per sample; image paths
// are relative to the dataset's image root.
//   pair:     {"image": "a.jpg", "caption": "...", "phrases": ["red circle", ...]}
//             (also CC3M's {"key": "000001", "caption": "..."} -> key.jpg); optional "mask"
//             (instance-id PNG) and "num_objects", as the synthetic scenes write them, and
//             "mask_segments" (the mask is a COCO panoptic PNG; segment ids per phrase)
//   instruct: LLaVA's {"id", "image", "conversations": [{"from": "human"|"gpt", "value"}]}
//   edit:     {"source": "a.png", "target": "b.png", "instruction": "..."}
// Unknown fields are ignored (datasets carry extras); known ones are type-checked. A record of the
// wrong shape is an error naming the file and record index, or a counted, logged skip with
// skip_bad_samples.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace setok::data {

struct PairRecord {
  std::filesystem::path image;
  std::string caption;
  std::vector<std::string> phrases;
  // Instance label map, empty when absent: a one-channel id PNG (0 = background, k = the object
  // of phrases[k - 1]) or, when mask_segments is set, a COCO panoptic PNG whose segment
  // mask_segments[k - 1] is phrases[k - 1]'s (data/instance_mask.h reads both).
  std::filesystem::path mask;
  std::vector<int64_t> mask_segments;
  int64_t num_objects = -1;  // -1 when absent
};

struct Turn {
  std::string from;  // human | gpt
  std::string value;
};

struct InstructRecord {
  std::string id;
  std::filesystem::path image;  // empty for text-only records
  std::vector<Turn> conversations;
};

struct EditRecord {
  std::filesystem::path source, target;
  std::string instruction;
};

enum class DatasetKind { kPair, kInstruct, kEdit };
DatasetKind parse_dataset_kind(const std::string& name);  // pair | instruct | edit

// A loaded dataset of one kind. Records keep their index in the file (for error messages).
template <class Record>
struct Dataset {
  std::filesystem::path file;
  std::filesystem::path image_root;
  std::vector<Record> records;
  std::vector<int64_t> record_index;  // position of records[i] in the file
  int64_t skipped = 0;                // malformed records skipped at load (skip_bad_samples)

  size_t size() const { return records.size(); }
  // "<file>: record <n>" for messages about records[i].
  std::string where(size_t i) const;
};

using PairDataset = Dataset<PairRecord>;
using InstructDataset = Dataset<InstructRecord>;
using EditDataset = Dataset<EditRecord>;

// `image_root` empty: the JSON file's folder. Errors name the file and record.
PairDataset load_pair_dataset(const std::filesystem::path& file,
                              const std::filesystem::path& image_root, bool skip_bad = false);
InstructDataset load_instruct_dataset(const std::filesystem::path& file,
                                      const std::filesystem::path& image_root,
                                      bool skip_bad = false);
EditDataset load_edit_dataset(const std::filesystem::path& file,
                              const std::filesystem::path& image_root, bool skip_bad = false);

}  // namespace setok::data
