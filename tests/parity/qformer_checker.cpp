// kind "blip_2_qformer": HF Blip2QFormerModel last hidden state (cross-attention every
// cross_attention_frequency layers, padded encoder mask); kind "bert": the documented BERT ->
// Q-Former initialisation loads exactly the listed tensors and nothing else.
#include <map>
#include <set>

#include <ATen/ATen.h>

#include "compare.h"
#include "harness.h"
#include "setok/detokenizer/qformer.h"
#include "setok/io/safetensors.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"

namespace setok::parity {
namespace {

std::string check_qformer(const fs::path& folder) {
  at::NoGradGuard no_grad;
  const auto config = detokenizer::parse_qformer_config(io::read_json(folder / "config.json"),
                                                        (folder / "config.json").string());
  detokenizer::QFormer q(config);
  io::load_state(*q, io::TensorStore::open(folder));
  const c10::Device device = parity_device();
  q->to(device);
  q->eval();
  const auto ref = io::SafetensorsFile::open(folder / "reference.safetensors");
  const at::Tensor out = q->forward(ref->tensor("query_embeds", at::kFloat).to(device),
                                    ref->tensor("encoder_hidden_states", at::kFloat).to(device),
                                    ref->tensor("encoder_attention_mask", at::kLong).to(device));
  expect_close("last_hidden_state", out, ref->tensor("last_hidden_state", at::kFloat), 1e-4, 1e-5);
  int64_t cross = 0;
  for (size_t i = 0; i < q->encoder->layer->size(); ++i) {
    cross += q->encoder->layer->ptr<detokenizer::QFormerLayerImpl>(i)->has_cross_attention();
  }
  return std::to_string(config.num_hidden_layers) + " layers, " + std::to_string(cross) +
         " with cross-attention";
}

std::string check_bert_init(const fs::path& folder) {
  at::NoGradGuard no_grad;
  const io::Json bert = io::read_json(folder / "config.json");
  detokenizer::QFormerConfig c =
      detokenizer::parse_qformer_config(bert, (folder / "config.json").string());
  c.encoder_hidden_size = c.hidden_size;
  detokenizer::QFormer q(c);
  std::map<std::string, at::Tensor> before;
  for (const auto& [name, t] : io::module_state(*q)) before[name] = t.clone();
  const auto loaded = detokenizer::init_qformer_from_bert(*q, folder);
  const int64_t L = c.num_hidden_layers;
  const size_t expected = static_cast<size_t>(10 * L + 2);
  if (loaded.size() != expected) {
    throw Failure("loaded " + std::to_string(loaded.size()) +
                  " tensors, the documented mapping has " + std::to_string(expected));
  }
  const auto store = io::TensorStore::open(folder);
  auto bert_name = [](std::string n) {
    if (n.rfind("layernorm.", 0) == 0) return "embeddings.LayerNorm." + n.substr(10);
    const auto pos = n.find(".attention.attention.");
    if (pos != std::string::npos) n.replace(pos, 21, ".attention.self.");
    return n;
  };
  const std::set<std::string> loaded_set(loaded.begin(), loaded.end());
  for (const auto& [name, t] : io::module_state(*q)) {
    if (loaded_set.count(name)) {
      expect_equal(name + " <- " + bert_name(name), t, store.get(bert_name(name), at::kFloat));
    } else {
      expect_equal(name + " (not part of the mapping)", t, before.at(name));
    }
  }
  return std::to_string(loaded.size()) + " tensors mapped";
}

const Registrar kQFormer("blip_2_qformer", check_qformer);
const Registrar kBert("bert", check_bert_init);

}  // namespace
}  // namespace setok::parity
