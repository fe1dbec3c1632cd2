#include "setok/infer/tokenize.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/draw/cluster_overlay.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"
#include "setok/runtime/progress.h"

namespace setok::infer {

namespace fs = std::filesystem;

std::vector<fs::path> read_image_list(const fs::path& jsonl, const fs::path& root) {
  std::vector<fs::path> out;
  const auto rows = io::read_jsonl(jsonl);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (!row.is_object() || !row.contains("image") || !row["image"].is_string()) {
      throw Error(jsonl.string() + ": record " + std::to_string(i) +
                  ": expected an object with an \"image\" string");
    }
    const fs::path p = row["image"].get<std::string>();
    out.push_back(p.is_absolute() ? p : root / p);
  }
  return out;
}

namespace {
// Nearest-neighbour upscale by an integer factor so the overlay is at least `side` pixels.
at::Tensor upscale(const at::Tensor& img, int64_t side) {
  const int64_t f = std::max<int64_t>(1, (side + img.size(1) - 1) / img.size(1));
  return f == 1 ? img : img.repeat_interleave(f, 1).repeat_interleave(f, 2);
}
}  // namespace

TokenizeSummary tokenize_images(tokenizer::SetokTokenizerImpl& tok,
                                const vision::ImagePreprocess& pre,
                                const std::vector<fs::path>& images, const c10::Device& device,
                                const TokenizeOptions& options) {
  if (images.empty()) throw Error("tokenize: no images given");
  if (options.batch_size < 1) throw Error("tokenize: batch size must be >= 1");
  fs::create_directories(options.out_dir);
  if (options.overlays) fs::create_directories(options.out_dir / "overlays");
  TokenizeSummary summary;
  summary.records = options.out_dir / "tokens.jsonl";
  io::JsonlWriter records(summary.records, /*truncate=*/true);
  runtime::ProgressOptions po;
  po.label = "tokenize";
  po.unit = "img";
  po.total = static_cast<int64_t>(images.size());
  runtime::Progress progress(po);
  at::NoGradGuard no_grad;
  double total_tokens = 0;
  for (size_t start = 0; start < images.size(); start += options.batch_size) {
    const size_t end = std::min(images.size(), start + static_cast<size_t>(options.batch_size));
    std::vector<at::Tensor> pixels, content;
    const int64_t patch = tok.vision_tower->config().patch_size;
    for (size_t i = start; i < end; ++i) {
      const at::Tensor image = io::read_image(images[i]);  // [3, H, W]
      pixels.push_back(vision::preprocess_image(image, pre, images[i].string()));
      content.push_back(vision::content_patch_mask(image.size(1), image.size(2), pre, patch));
    }
    const at::Tensor batch = at::stack(pixels).to(device);  // [b, 3, S, S]
    // Letterbox padding (pad_to_square) is never clustered.
    const tokenizer::SetokTokens out = tok.forward(batch, at::stack(content).to(device));
    const at::Tensor assignment = out.clusters.assignment.to(at::kCPU);
    const at::Tensor counts = out.clusters.counts.to(at::kCPU);
    const at::Tensor centres = out.clusters.centres.to(at::kCPU);
    for (size_t i = start; i < end; ++i) {
      const int64_t b = static_cast<int64_t>(i - start);
      const int64_t L = counts[b].item<int64_t>();
      const at::Tensor a = assignment[b];
      const at::Tensor sizes = at::bincount(a.masked_select(a >= 0), {}, L);
      const at::Tensor c = centres[b].narrow(0, 0, L);
      io::Json row = {
          {"image", images[i].string()},
          {"num_tokens", L},
          {"cluster_sizes",
           std::vector<int64_t>(sizes.data_ptr<int64_t>(), sizes.data_ptr<int64_t>() + L)},
          {"centres", std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + L)},
          {"grid", {out.grid_h, out.grid_w}}};
      if (options.overlays) {
        const std::string name = fmt::format("{:04d}_{}.png", i, images[i].stem().string());
        const at::Tensor shown =
            upscale(vision::denormalize_image(pixels[b], pre), options.min_overlay_side);
        io::write_image(options.out_dir / "overlays" / name,
                        draw::draw_cluster_overlay(shown, a, c, out.grid_h, out.grid_w));
        row["overlay"] = "overlays/" + name;
      }
      records.write(row);
      total_tokens += static_cast<double>(L);
    }
    progress.update(static_cast<int64_t>(end - start));
  }
  progress.finish();
  summary.images = static_cast<int64_t>(images.size());
  summary.mean_tokens = total_tokens / static_cast<double>(images.size());
  return summary;
}

}  // namespace setok::infer
