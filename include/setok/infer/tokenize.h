#pragma once
// `setok_infer tokenize`: images -> SeTok tokens, with a JSONL record and a cluster-map PNG per
// image so a person can see what the tokenizer did.
#include <filesystem>
#include <string>
#include <vector>

#include "setok/tokenizer/setok_tokenizer.h"
#include "setok/vision/preprocess.h"

namespace setok::infer {

struct TokenizeOptions {
  std::filesystem::path out_dir;
  int64_t batch_size = 8;
  int64_t min_overlay_side = 256;  // overlays are upscaled (integer factor) to at least this
  bool overlays = true;
};

struct TokenizeSummary {
  int64_t images = 0;
  double mean_tokens = 0;
  std::filesystem::path records;  // out_dir/tokens.jsonl
};

// Tokenizes `images` in batches on `device` (the tokenizer must already be there, in eval mode).
// Writes out_dir/tokens.jsonl, one line per image:
//   {"image", "num_tokens", "cluster_sizes", "centres", "grid": [h, w], "overlay"}
// and out_dir/overlays/<index>_<stem>.png (the preprocessed image the model saw, clusters
// coloured, borders dark, centres as white dots). Progress goes to stderr.
TokenizeSummary tokenize_images(tokenizer::SetokTokenizerImpl& tokenizer,
                                const vision::ImagePreprocess& preprocess,
                                const std::vector<std::filesystem::path>& images,
                                const c10::Device& device, const TokenizeOptions& options);

// Image paths from a JSONL list ({"image": "path", ...} per line); relative paths are taken
// from `root`. Errors name the file and line.
std::vector<std::filesystem::path> read_image_list(const std::filesystem::path& jsonl,
                                                   const std::filesystem::path& root);

}  // namespace setok::infer
