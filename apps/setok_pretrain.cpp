// setok_pretrain: Setokim stage 2 — multimodal pre-training (captioning and text-to-image
// generation from image-text pairs) of the projectors, the special-token rows and the diffusion
// head over a frozen SeTok and a frozen LLM (or everything for tiny models).
#include "training_app.h"

int main(int argc, char** argv) {
  return setok::apps::run_training_app(
      argc, argv, "setok_pretrain", "setokim",
      "setok_pretrain: Setokim stage 2 — align SeTok tokens with the LLM: captioning and "
      "text-to-image generation on image-text pairs; trains the projectors, the rows of "
      "<im_start> / <im_end> / <target> and the diffusion head (train.trainable)");
}
