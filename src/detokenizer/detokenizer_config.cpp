#include "setok/detokenizer/detokenizer_config.h"

#include <filesystem>

#include "setok/diffusion/gaussian_diffusion.h"
#include "setok/runtime/error.h"

namespace setok::detokenizer {

void DetokenizerConfig::describe(config::Schema& s) {
  s.field("image_size", image_size, "output image size (pixels)");
  s.field("patch_size", patch_size, "output patch size; one query per patch");
  s.field("qformer_hidden", qformer_hidden, "Q-Former width");
  s.field("qformer_layers", qformer_layers, "Q-Former layers");
  s.field("qformer_heads", qformer_heads, "Q-Former attention heads");
  s.field("qformer_intermediate", qformer_intermediate, "Q-Former feed-forward width");
  s.field("cross_attention_frequency", cross_attention_frequency,
          "cross-attention to the tokens in layers with index % frequency == 0");
  s.field("qformer_dropout", qformer_dropout, "Q-Former dropout (hidden and attention)");
  s.field("bert_init", bert_init, "BERT folder to initialise the Q-Former from (empty = random)");
  s.field("decoder_width", decoder_width, "pixel decoder width");
  s.field("decoder_depth", decoder_depth, "pixel decoder blocks");
  s.field("decoder_heads", decoder_heads, "pixel decoder attention heads");
  s.field("decoder_mlp_ratio", decoder_mlp_ratio, "pixel decoder MLP width / width");
  s.choice("head", head, {"pixels", "diffusion"}, "output head");
  s.field("diffusion_width", diffusion_width, "diffusion head MLP width");
  s.field("diffusion_depth", diffusion_depth, "diffusion head residual blocks");
  s.field("diffusion_steps", diffusion_steps, "sampling steps (respacing, e.g. \"100\")");
  s.choice("noise_schedule", noise_schedule, {"cosine", "linear"}, "diffusion beta schedule");
  s.field("diffusion_batch_mul", diffusion_batch_mul, "(t, noise) draws per patch in training");
  s.field("temperature", temperature, "sampling temperature of the diffusion head");
}

void DetokenizerConfig::validate(const std::string& path) const {
  auto at = [&](const char* key) { return config::join(path, key); };
  if (patch_size < 1 || image_size < patch_size || image_size % patch_size != 0) {
    config::fail(at("image_size"), "must be a positive multiple of patch_size");
  }
  if (qformer_hidden < 1 || qformer_heads < 1 || qformer_hidden % qformer_heads != 0) {
    config::fail(at("qformer_heads"), "must divide qformer_hidden");
  }
  if (decoder_width < 1 || decoder_heads < 1 || decoder_width % decoder_heads != 0) {
    config::fail(at("decoder_heads"), "must divide decoder_width");
  }
  if (qformer_layers < 0 || decoder_depth < 0 || diffusion_depth < 0) {
    config::fail(at("decoder_depth"), "depths must be >= 0");
  }
  if (cross_attention_frequency < 1) config::fail(at("cross_attention_frequency"), "must be >= 1");
  if (qformer_dropout < 0 || qformer_dropout >= 1)
    config::fail(at("qformer_dropout"), "must be in [0, 1)");
  if (decoder_mlp_ratio <= 0) config::fail(at("decoder_mlp_ratio"), "must be > 0");
  if (diffusion_batch_mul < 1) config::fail(at("diffusion_batch_mul"), "must be >= 1");
  if (head == "diffusion" && patch_size > 0 && diffusion_width < patch_dim()) {
    // The denoiser must pass x_t through (epsilon ~ x_t at high noise): a narrower MLP cannot.
    config::fail(at("diffusion_width"), std::to_string(diffusion_width) +
                                            " is narrower than a patch (" +
                                            std::to_string(patch_dim()) +
                                            " values); the "
                                            "denoiser cannot represent epsilon");
  }
  if (temperature <= 0) config::fail(at("temperature"), "must be > 0");
  try {
    diffusion::space_timesteps(1000, diffusion_steps);
  } catch (const Error& e) {
    config::fail(at("diffusion_steps"), e.what());
  }
}

void DetokenizerConfig::check_files(const std::string& path) const {
  if (!bert_init.empty() && !std::filesystem::exists(bert_init)) {
    config::fail(config::join(path, "bert_init"), "'" + bert_init + "' does not exist");
  }
}

}  // namespace setok::detokenizer
