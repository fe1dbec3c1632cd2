#pragma once
// Setokim whole: the frozen SeTok tokenizer and detokenizer (from a stage-1 checkpoint) around
// the trained model (LLM, projectors, special rows, diffusion head). Checkpoint names: setok.*,
// detokenizer.*, model.* (DESIGN §5.10). Built by mllm::build_setokim (mllm/setokim_build.h) from a
// run config; inference (infer/) works on it.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "setok/detokenizer/setok_detokenizer.h"
#include "setok/mllm/setokim_model.h"
#include "setok/tokenizer/setok_tokenizer.h"

namespace setok::mllm {

class SetokimImpl : public torch::nn::Module {
 public:
  SetokimImpl(tokenizer::SetokTokenizer setok, detokenizer::SetokDetokenizer detokenizer,
              SetokimModel model);
  tokenizer::SetokTokenizer setok{nullptr};
  detokenizer::SetokDetokenizer detokenizer{nullptr};
  SetokimModel model{nullptr};
};
TORCH_MODULE(Setokim);

}  // namespace setok::mllm
