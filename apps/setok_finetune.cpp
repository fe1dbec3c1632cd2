// setok_finetune: Setokim stage 3 — instruction tuning (conversations, captioning, generation,
// editing) with LoRA on the LLM plus the projectors and diffusion head, from stage-2 weights.
#include "training_app.h"

int main(int argc, char** argv) {
  return setok::apps::run_training_app(
      argc, argv, "setok_finetune", "setokim",
      "setok_finetune: Setokim stage 3 — instruction tuning with LoRA adapters on the LLM plus "
      "the projectors and the diffusion head, starting from a stage-2 run (train.init_from)");
}
