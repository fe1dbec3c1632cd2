#pragma once
// `setok_infer tokenize`: images -> SeTok tokens, with a JSONL record and a cluster-map PNG per
// image so a person can see what the tokenizer did. Runs on the request runner
// (infer/request_runner.h): bad lines and unreadable images become errors.jsonl records while
// the rest runs, and a re-run skips the images tokens.jsonl already holds.
#include <filesystem>
#include <string>
#include <vector>

#include "setok/infer/request_runner.h"
#include "setok/tokenizer/setok_tokenizer.h"
#include "setok/vision/preprocess.h"

namespace setok::infer {

struct TokenizeOptions {
  std::filesystem::path out_dir;
  std::filesystem::path image_root;  // relative "image" paths start here
  int64_t min_overlay_side = 256;    // overlays are upscaled (integer factor) to at least this
  bool overlays = true;
};

// Requests {"image": path [, "id"]} (the id defaults to the path). One result per image:
//   {"image", "num_tokens", "cluster_sizes", "centres", "grid": [h, w], "overlay"}
// and out_dir/overlays/<line>_<stem>.png (the preprocessed image the model saw, clusters
// coloured, borders dark, centres as white dots). The tokenizer must already be on `device`,
// in eval mode.
std::vector<RequestOutcome> tokenize_requests(tokenizer::SetokTokenizerImpl& tokenizer,
                                              const vision::ImagePreprocess& preprocess,
                                              const std::vector<Request>& requests,
                                              const c10::Device& device,
                                              const TokenizeOptions& options);

// Image files as requests (id = the path, line = position + 1).
RequestList image_file_requests(const std::vector<std::filesystem::path>& images);

}  // namespace setok::infer
