// kind "llama": HF LlamaForCausalLM parity — logits where the attention mask is 1 (a padded
// row included), the final hidden state (after the last RMSNorm) there too, and greedy KV-cache
// generation of generate_output from generate_prompt. Sizes, dtypes and the shard layout come
// from the folder.
#include <ATen/ATen.h>

#include "compare.h"
#include "harness.h"
#include "setok/io/safetensors.h"
#include "setok/io/tensor_store.h"
#include "setok/llm/generation.h"
#include "setok/llm/llama_loader.h"

namespace setok::parity {
namespace {

constexpr double kRtol = 1e-4, kAtol = 1e-4;  // hidden states after the whole stack
constexpr double kLogitsAtol = 1e-3;

std::string check_llama(const fs::path& folder) {
  at::NoGradGuard no_grad;
  const c10::Device device = parity_device();
  llm::LlamaForCausalLM model = llm::load_llama(folder);
  model->to(device);
  model->eval();
  const auto ref = io::SafetensorsFile::open(folder / "reference.safetensors");
  const at::Tensor ids = ref->tensor("input_ids", at::kLong).to(device);        // [B, T]
  const at::Tensor mask = ref->tensor("attention_mask", at::kLong).to(device);  // [B, T]
  // HF's forward (how the reference was made) numbers positions 0..T-1 whatever the mask; pass
  // them explicitly so a left-padded reference row compares like for like.
  const at::Tensor positions = at::arange(ids.size(1), ids.options()).expand_as(ids);
  const llm::LlamaOutput out = model->forward_embeds(model->embed(ids), mask, positions);
  const at::Tensor real = mask.to(at::kBool).cpu();  // compare where the mask is 1
  expect_close("logits[mask == 1]", out.logits.cpu().index({real}),
               ref->tensor("logits", at::kFloat).index({real}), kRtol, kLogitsAtol);
  expect_close("final_hidden_state[mask == 1]", out.hidden.cpu().index({real}),
               ref->tensor("final_hidden_state", at::kFloat).index({real}), kRtol, kAtol);

  const at::Tensor prompt = ref->tensor("generate_prompt", at::kLong);  // [1, P]
  const at::Tensor want = ref->tensor("generate_output", at::kLong);    // [1, P + N]
  const int64_t P = prompt.size(1), N = want.size(1) - P;
  if (N < 1) throw Failure("generate_output is not longer than generate_prompt");
  std::vector<int64_t> p(prompt.data_ptr<int64_t>(), prompt.data_ptr<int64_t>() + P);
  llm::GenerationOptions g;
  g.max_new_tokens = N;
  g.stop_at_eos = false;
  const llm::GenerationResult gen = llm::generate(model, {p}, g);
  std::vector<int64_t> got = p;
  got.insert(got.end(), gen.tokens[0].begin(), gen.tokens[0].end());
  expect_equal("generate_output (greedy, KV cache)", at::tensor(got, at::kLong).view({1, -1}),
               want);

  const io::TensorStore store = io::TensorStore::open(folder);
  return std::to_string(store.size()) + " weights in " + std::to_string(store.files().size()) +
         " file(s), " + std::to_string(model->config().num_hidden_layers) + " layers, " +
         std::to_string(N) + " generated tokens";
}

const Registrar kRegistrar("llama", check_llama);

}  // namespace
}  // namespace setok::parity
