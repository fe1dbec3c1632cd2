#include "setok/infer/tokenize.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/draw/cluster_overlay.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::infer {

namespace fs = std::filesystem;

namespace {
// Nearest-neighbour upscale by an integer factor so the overlay is at least `side` pixels.
at::Tensor upscale(const at::Tensor& img, int64_t side) {
  const int64_t f = std::max<int64_t>(1, (side + img.size(1) - 1) / img.size(1));
  return f == 1 ? img : img.repeat_interleave(f, 1).repeat_interleave(f, 2);
}
}  // namespace

std::vector<RequestOutcome> tokenize_requests(tokenizer::SetokTokenizerImpl& tok,
                                              const vision::ImagePreprocess& pre,
                                              const std::vector<Request>& requests,
                                              const c10::Device& device,
                                              const TokenizeOptions& options) {
  if (options.overlays) fs::create_directories(options.out_dir / "overlays");
  std::vector<RequestOutcome> out(requests.size());
  std::vector<at::Tensor> pixels, content;
  std::vector<size_t> where;
  const int64_t patch = tok.vision_tower->config().patch_size;
  for (size_t i = 0; i < requests.size(); ++i) {
    const fs::path path = request_file(requests[i], "image", options.image_root);
    try {
      const at::Tensor image = io::read_image(path);  // [3, H, W]
      pixels.push_back(vision::preprocess_image(image, pre, path.string()));
      content.push_back(vision::content_patch_mask(image.size(1), image.size(2), pre, patch));
      where.push_back(i);
    } catch (const Error& e) {
      out[i].error = e.what();
    }
  }
  if (where.empty()) return out;
  at::NoGradGuard no_grad;
  const at::Tensor batch = at::stack(pixels).to(device);  // [b, 3, S, S]
  // Letterbox padding (pad_to_square) is never clustered.
  const tokenizer::SetokTokens t = tok.forward(batch, at::stack(content).to(device));
  const at::Tensor assignment = t.clusters.assignment.to(at::kCPU);
  const at::Tensor counts = t.clusters.counts.to(at::kCPU);
  const at::Tensor centres = t.clusters.centres.to(at::kCPU);
  for (size_t k = 0; k < where.size(); ++k) {
    const Request& r = requests[where[k]];
    const auto b = static_cast<int64_t>(k);
    const int64_t L = counts[b].item<int64_t>();
    const at::Tensor a = assignment[b];
    const at::Tensor sizes = at::bincount(a.masked_select(a >= 0), {}, L);
    const at::Tensor c = centres[b].narrow(0, 0, L);
    io::Json row = {
        {"image", r.fields["image"]},
        {"num_tokens", L},
        {"cluster_sizes",
         std::vector<int64_t>(sizes.data_ptr<int64_t>(), sizes.data_ptr<int64_t>() + L)},
        {"centres", std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + L)},
        {"grid", {t.grid_h, t.grid_w}}};
    if (options.overlays) {
      const std::string name = fmt::format(
          "{:04d}_{}.png", r.line, fs::path(r.fields["image"].get<std::string>()).stem().string());
      const at::Tensor shown =
          upscale(vision::denormalize_image(pixels[k], pre), options.min_overlay_side);
      io::write_image(options.out_dir / "overlays" / name,
                      draw::draw_cluster_overlay(shown, a, c, t.grid_h, t.grid_w));
      row["overlay"] = "overlays/" + name;
    }
    out[where[k]].result = std::move(row);
  }
  return out;
}

RequestList image_file_requests(const std::vector<fs::path>& images) {
  RequestList list;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string path = images[i].string();
    list.requests.push_back({static_cast<int64_t>(i + 1), path, io::Json{{"image", path}}});
  }
  return list;
}

}  // namespace setok::infer
