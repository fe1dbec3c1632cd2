#pragma once
// `setok_infer generate | edit | reconstruct` on the request runner (docs/inference.md):
//   generate:    {"id", "prompt"}                       a Setokim run draws the image
//   edit:        {"id", "image", "instruction"}         a Setokim run edits the image
//   reconstruct: {"id", "image"}                        SeTok tokens -> detokenizer (stage 1)
// Each answered request writes OUT/<name>.png and the result {"image": "<name>.png", "tokens":
// N} (N: the image's SeTok tokens). Images are read relative to `image_root`; a missing or
// undecodable image, or a model that writes no image, fails its request only. Each request's
// draws come from (seed, its id), so its image does not depend on the batch it ran in.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "setok/detokenizer/setok_detokenizer.h"
#include "setok/infer/request_runner.h"
#include "setok/infer/setokim_generate.h"
#include "setok/tokenizer/setok_tokenizer.h"
#include "setok/vision/preprocess.h"

namespace setok::infer {

enum class ImageTask { kGenerate, kEdit, kReconstruct };

struct ImageTaskOptions {
  ImageTask task = ImageTask::kGenerate;
  std::filesystem::path image_root;
  std::filesystem::path out_dir;
  vision::ImagePreprocess preprocess;
  ImageGenerationOptions generation;  // generate / edit
  uint64_t seed = 0;
};

// The fields a task's request lines need.
std::vector<std::string> image_task_fields(ImageTask task);

// The PNG name for a request id: the id itself when it is made of letters, digits, '.', '_' and
// '-' (and does not start with '.'), else those characters kept, the rest '_', plus a hash of
// the id (so different ids never share a file).
std::string image_file_name(const std::string& id);

// generate / edit with a Setokim model.
std::vector<RequestOutcome> image_requests(mllm::SetokimImpl& setokim,
                                           const llm::TextTokenizer& text,
                                           const std::vector<Request>& requests,
                                           const ImageTaskOptions& options);

// reconstruct with a stage-1 tokenizer and detokenizer.
std::vector<RequestOutcome> reconstruct_requests(tokenizer::SetokTokenizerImpl& tokenizer,
                                                 detokenizer::SetokDetokenizerImpl& detokenizer,
                                                 const std::vector<Request>& requests,
                                                 const ImageTaskOptions& options);

}  // namespace setok::infer
