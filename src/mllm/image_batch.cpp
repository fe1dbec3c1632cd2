#include "setok/mllm/image_batch.h"

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::mllm {

std::vector<int64_t> ImageBatch::of(size_t sample) const {
  const int64_t begin = first.at(sample);
  const int64_t end =
      sample + 1 < first.size() ? first[sample + 1] : static_cast<int64_t>(counts.size());
  return std::vector<int64_t>(counts.begin() + begin, counts.begin() + end);
}

ImageBatch tokenize_images(SetokimImpl& setokim, const std::vector<std::vector<at::Tensor>>& images,
                           const std::vector<int64_t>& image_seeds) {
  at::NoGradGuard no_grad;
  const at::Device device = setokim.model->special_embed.device();
  ImageBatch out;
  std::vector<at::Tensor> pixels;
  for (const auto& list : images) {
    out.first.push_back(static_cast<int64_t>(pixels.size()));
    pixels.insert(pixels.end(), list.begin(), list.end());
  }
  if (!image_seeds.empty() && image_seeds.size() != pixels.size())
    throw Error("tokenize_images: " + std::to_string(image_seeds.size()) + " seeds for " +
                std::to_string(pixels.size()) + " images");
  const int64_t D = setokim.setok->token_dim();
  if (pixels.empty()) {
    out.tokens = at::zeros({1, 1, D}, at::TensorOptions(at::kFloat).device(device));
    return out;
  }
  setokim.setok->eval();
  const tokenizer::SetokTokens t =
      setokim.setok->forward(at::stack(pixels).to(device), {}, image_seeds);
  const at::Tensor c = t.clusters.counts.to(at::kCPU).contiguous();
  out.tokens = t.tokens.to(at::kFloat);  // [N, L_max, D]
  out.counts.assign(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  return out;
}

}  // namespace setok::mllm
