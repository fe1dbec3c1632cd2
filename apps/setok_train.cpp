// setok_train: stage 1 — train the SeTok tokenizer and detokenizer.
#include "training_app.h"

int main(int argc, char** argv) {
  return setok::apps::run_training_app(
      argc, argv, "setok_train", "stage1",
      "setok_train: stage 1 — train the SeTok tokenizer and detokenizer on image-text pairs "
      "(reconstruction, concept contrastive, optional LPIPS / PatchGAN), evaluate on held-out "
      "data");
}
