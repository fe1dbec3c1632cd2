#include "setok/infer/image_requests.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include "setok/io/image.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::infer {

namespace fs = std::filesystem;

namespace {

uint64_t request_seed(uint64_t seed, const std::string& id) {
  return runtime::stable_hash(id) ^ (seed * 0x9E3779B97F4A7C15ULL);
}

// The request's image, preprocessed; a bad file is an error naming it.
at::Tensor request_image(const Request& r, const ImageTaskOptions& o) {
  const fs::path path = request_file(r, "image", o.image_root);
  return vision::preprocess_image(io::read_image(path), o.preprocess, path.string());
}

// pixels [3, H, W] in [-1, 1] -> OUT/<name>.png; the result row.
io::Json write_result(const Request& r, const at::Tensor& pixels, int64_t tokens,
                      const ImageTaskOptions& o) {
  const std::string name = image_file_name(r.id) + ".png";
  io::write_image(o.out_dir / name, ((pixels.to(at::kFloat) + 1.0) / 2.0).clamp(0.0, 1.0));
  return {{"image", name}, {"tokens", tokens}};
}

}  // namespace

std::vector<std::string> image_task_fields(ImageTask task) {
  switch (task) {
    case ImageTask::kGenerate:
      return {"prompt"};
    case ImageTask::kEdit:
      return {"image", "instruction"};
    case ImageTask::kReconstruct:
      return {"image"};
  }
  return {};
}

std::string image_file_name(const std::string& id) {
  std::string name = id;
  bool changed = name.empty() || name.front() == '.';
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      c = '_';
      changed = true;
    }
  }
  if (changed) name += fmt::format("-{:016x}", runtime::stable_hash(id));
  return name;
}

std::vector<RequestOutcome> image_requests(mllm::SetokimImpl& setokim,
                                           const llm::TextTokenizer& text,
                                           const std::vector<Request>& requests,
                                           const ImageTaskOptions& o) {
  std::vector<RequestOutcome> out(requests.size());
  std::vector<ImageRequest> ready;
  std::vector<size_t> where;
  for (size_t i = 0; i < requests.size(); ++i) {
    const io::Json& f = requests[i].fields;
    ImageRequest r;
    r.seed = request_seed(o.seed, requests[i].id);
    if (o.task == ImageTask::kEdit) {
      try {
        r.images = {request_image(requests[i], o)};
      } catch (const Error& e) {
        out[i].error = e.what();
        continue;
      }
      r.turns = {{"human", "<image>\n" + f["instruction"].get<std::string>()}};
      r.unconditional_turns = {{"human", "<image>\n"}};
    } else {
      r.turns = {{"human", f["prompt"].get<std::string>()}};
      r.unconditional_turns = {{"human", ""}};
    }
    ready.push_back(std::move(r));
    where.push_back(i);
  }
  if (ready.empty()) return out;
  const std::vector<GeneratedImage> images = generate_images(setokim, text, ready, o.generation);
  for (size_t k = 0; k < images.size(); ++k) {
    RequestOutcome& res = out[where[k]];
    if (!images[k].error.empty()) {
      res.error = images[k].error;
      continue;
    }
    res.result = write_result(requests[where[k]], images[k].pixels, images[k].num_tokens(), o);
  }
  return out;
}

std::vector<RequestOutcome> reconstruct_requests(tokenizer::SetokTokenizerImpl& tokenizer,
                                                 detokenizer::SetokDetokenizerImpl& detokenizer,
                                                 const std::vector<Request>& requests,
                                                 const ImageTaskOptions& o) {
  std::vector<RequestOutcome> out(requests.size());
  std::vector<at::Tensor> pixels;
  std::vector<size_t> where;
  for (size_t i = 0; i < requests.size(); ++i) {
    try {
      pixels.push_back(request_image(requests[i], o));
      where.push_back(i);
    } catch (const Error& e) {
      out[i].error = e.what();
    }
  }
  if (pixels.empty()) return out;
  at::NoGradGuard no_grad;
  tokenizer.eval();
  detokenizer.eval();
  const at::Device device = detokenizer.queries.device();
  const tokenizer::SetokTokens t = tokenizer.forward(at::stack(pixels).to(device));
  const at::Tensor counts = t.clusters.counts.to(at::kCPU);
  for (size_t k = 0; k < where.size(); ++k) {
    const Request& r = requests[where[k]];
    const int64_t n = counts[static_cast<int64_t>(k)].item<int64_t>();
    at::Generator g =
        at::make_generator<at::CPUGeneratorImpl>(request_seed(o.seed, r.id));  // diffusion head
    const at::Tensor image =
        detokenizer.decode(t.tokens[static_cast<int64_t>(k)].narrow(0, 0, n).unsqueeze(0), {}, g);
    out[where[k]].result = write_result(r, image[0].to(at::kCPU), n, o);
  }
  return out;
}

}  // namespace setok::infer
