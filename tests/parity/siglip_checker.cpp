// kind "siglip": HF SiglipModel parity (every vision hidden state, post-LN output, pooling
// head, text hidden states and pooler, image/text embeddings, logits). Sizes, layer counts and
// dtypes come from the folder.
#include <ATen/ATen.h>

#include "compare.h"
#include "harness.h"
#include "setok/io/safetensors.h"
#include "setok/vision/siglip_loader.h"

namespace setok::parity {
namespace {

constexpr double kRtol = 1e-4, kAtol = 1e-5;  // float32 paths
constexpr double kLogitsAtol = 1e-3;          // long chains

std::string check_siglip(const fs::path& folder) {
  at::NoGradGuard no_grad;
  const c10::Device device = parity_device();
  vision::SiglipModel model = vision::load_siglip(folder);
  model->to(device);
  model->eval();
  const auto ref = io::SafetensorsFile::open(folder / "reference.safetensors");
  const at::Tensor pixels = ref->tensor("pixel_values", at::kFloat).to(device);
  const auto out = model->forward(pixels, ref->tensor("input_ids", at::kLong).to(device),
                                  /*output_hidden_states=*/true);
  size_t compared = 0;
  auto close = [&](const std::string& name, const at::Tensor& got, double atol) {
    expect_close(name, got, ref->tensor(name, at::kFloat), kRtol, atol);
    ++compared;
  };
  for (size_t i = 0; i < out.vision.hidden_states.size(); ++i) {
    close("vision_hidden_states." + std::to_string(i), out.vision.hidden_states[i], kAtol);
  }
  for (size_t i = 0; i < out.text.hidden_states.size(); ++i) {
    close("text_hidden_states." + std::to_string(i), out.text.hidden_states[i], kAtol);
  }
  // The reference must not hold more hidden states than the model produced.
  for (const auto& name : ref->names()) {
    for (const char* prefix : {"vision_hidden_states.", "text_hidden_states."}) {
      if (name.rfind(prefix, 0) == 0) {
        const size_t i = std::stoul(name.substr(std::string(prefix).size()));
        const size_t have =
            prefix[0] == 'v' ? out.vision.hidden_states.size() : out.text.hidden_states.size();
        if (i >= have)
          throw Failure(name + ": the model has only " + std::to_string(have) + " hidden states");
      }
    }
  }
  close("vision_last_hidden_state", out.vision.last_hidden_state, kAtol);
  close("vision_pooler_output", out.vision.pooler_output, kAtol);
  if (ref->contains("text_last_hidden_state"))
    close("text_last_hidden_state", out.text.last_hidden_state, kAtol);
  close("text_pooler_output", out.text.pooler_output, kAtol);
  close("image_embeds", out.image_embeds, kAtol);
  close("text_embeds", out.text_embeds, kAtol);
  close("logits_per_image", out.logits_per_image, kLogitsAtol);
  // The vision tower alone (what SeTok uses) loads through its name map and agrees.
  vision::SiglipVisionModel tower = vision::load_siglip_vision(folder);
  tower->to(device);
  tower->eval();
  const at::Tensor last = tower->features(pixels, -1);
  expect_close(
      "features(select_layer=-1)", last,
      ref->tensor("vision_hidden_states." + std::to_string(tower->encoder->depth()), at::kFloat),
      kRtol, kAtol);
  return std::to_string(compared + 1) + " tensors";
}

const Registrar kRegistrar("siglip", check_siglip);

}  // namespace
}  // namespace setok::parity
