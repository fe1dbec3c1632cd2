#include "setok/mllm/setokim.h"

namespace setok::mllm {

SetokimImpl::SetokimImpl(tokenizer::SetokTokenizer setok_in,
                         detokenizer::SetokDetokenizer detokenizer_in, SetokimModel model_in) {
  setok = register_module("setok", std::move(setok_in));
  detokenizer = register_module("detokenizer", std::move(detokenizer_in));
  model = register_module("model", std::move(model_in));
}

}  // namespace setok::mllm
