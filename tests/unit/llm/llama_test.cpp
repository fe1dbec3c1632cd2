// LLaMA model: KV cache vs full recomputation, padding, embedding resize, tied embeddings,
// save / load, errors, and a small overfitting run.
#include "setok/llm/llama_model.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "errors.h"
#include "llm_fixtures.h"
#include "setok/io/json.h"
#include "setok/llm/generation.h"
#include "setok/llm/kv_cache.h"
#include "setok/llm/llama_loader.h"
#include "temp_dir.h"

namespace setok::llm {
namespace {

using test::error_of;

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

LlamaForCausalLM make_model(const LlamaConfig& c = test::tiny_llama(), uint64_t seed = 1) {
  at::manual_seed(seed);
  LlamaForCausalLM m(c);
  m->eval();
  return m;
}

TEST(Llama, KvCacheDecodingEqualsFullRecomputation) {
  at::NoGradGuard no_grad;
  LlamaForCausalLM model = make_model();
  at::manual_seed(7);
  const at::Tensor ids = at::randint(96, {2, 11}, at::kLong);  // [B, T]
  const at::Tensor full = model->forward(ids);                 // [B, T, V]
  // Prefill 4, then one token at a time.
  KvCache cache = model->make_cache(2);  // small capacity: exercises growth
  std::vector<at::Tensor> pieces{model->forward(ids.narrow(1, 0, 4), {}, {}, &cache)};
  for (int64_t t = 4; t < 11; ++t)
    pieces.push_back(model->forward(ids.narrow(1, t, 1), {}, {}, &cache));
  EXPECT_EQ(cache.length(), 11);
  EXPECT_LT(max_diff(at::cat(pieces, 1), full), 1e-5);
  // Uneven chunks, and truncating back to a prefix then re-running gives the same again.
  cache.truncate(3);
  const at::Tensor rest = model->forward(ids.narrow(1, 3, 8), {}, {}, &cache);
  EXPECT_LT(max_diff(rest, full.narrow(1, 3, 8)), 1e-5);
  // The logits really depend on the context (the test would pass trivially otherwise).
  const at::Tensor alone = model->forward(ids.narrow(1, 10, 1));
  EXPECT_GT(max_diff(alone, full.narrow(1, 10, 1)), 1e-3);
}

// Bidirectional spans, by hand: with positions 3..5 one span, a change at position 5 reaches
// positions 3 and 4 (they see it) and 6 (causal), never 0..2; a span re-run on a cached prefix
// equals the whole sequence at once.
TEST(Llama, BidirectionalSpansSeeEachOtherAndNothingEarlierSeesThem) {
  at::NoGradGuard no_grad;
  LlamaForCausalLM model = make_model();
  at::manual_seed(7);
  const at::Tensor embeds = at::randn({1, 8, test::tiny_llama().hidden_size});  // [B, T, D]
  const at::Tensor spans =
      at::tensor(std::vector<int64_t>{-1, -1, -1, 4, 4, 4, -1, -1}, at::kLong).view({1, 8});
  const auto run = [&](const at::Tensor& e) {
    return model->forward_embeds(e, {}, {}, nullptr, LogitsFor::kNone, spans).hidden[0];
  };
  const at::Tensor base = run(embeds);
  at::Tensor changed = embeds.clone();
  changed[0][5] += 1.0;
  const at::Tensor moved = (run(changed) - base).abs().amax(1);  // [T]
  for (int64_t t = 0; t < 3; ++t) EXPECT_EQ(moved[t].item<double>(), 0.0) << t;
  for (int64_t t = 3; t < 8; ++t) EXPECT_GT(moved[t].item<double>(), 1e-4) << t;
  // Without spans position 3 cannot see position 5.
  const at::Tensor causal =
      model->forward_embeds(changed, {}, {}, nullptr, LogitsFor::kNone).hidden[0];
  EXPECT_LT(max_diff(causal[3],
                     model->forward_embeds(embeds, {}, {}, nullptr, LogitsFor::kNone).hidden[0][3]),
            1e-7);
  // Cached prefix of 3, then the span and the rest in one pass (spans cover past + T).
  KvCache cache = model->make_cache(8);
  model->forward_embeds(embeds.narrow(1, 0, 3), {}, {}, &cache, LogitsFor::kNone);
  const at::Tensor rest =
      model->forward_embeds(embeds.narrow(1, 3, 5), {}, {}, &cache, LogitsFor::kNone, spans)
          .hidden[0];
  EXPECT_LT(max_diff(rest, base.narrow(0, 3, 5)), 1e-5);
  EXPECT_NE(error_of([&] {
              model->forward_embeds(embeds, {}, {}, nullptr, LogitsFor::kNone,
                                    spans.narrow(1, 0, 4));
            }).find("spans must be [B, past + T]"),
            std::string::npos);
}

TEST(Llama, PaddedBatchesMatchSingleRows) {
  at::NoGradGuard no_grad;
  LlamaForCausalLM model = make_model();
  const std::vector<std::vector<int64_t>> rows = {
      {5, 9, 14, 3, 22}, {7, 1, 60, 61, 62, 8, 40, 2}, {33, 34, 35}};
  const int64_t B = 3, T = 8;
  for (const bool left : {true, false}) {
    at::Tensor ids = at::zeros({B, T}, at::kLong), mask = at::zeros({B, T}, at::kLong);
    for (int64_t r = 0; r < B; ++r) {
      const auto& row = rows[static_cast<size_t>(r)];
      const int64_t n = static_cast<int64_t>(row.size()), off = left ? T - n : 0;
      ids[r].narrow(0, off, n).copy_(at::tensor(row, at::kLong));
      mask[r].narrow(0, off, n).fill_(1);
    }
    const at::Tensor batched = model->forward(ids, mask);  // [B, T, V]
    for (int64_t r = 0; r < B; ++r) {
      const auto& row = rows[static_cast<size_t>(r)];
      const int64_t n = static_cast<int64_t>(row.size()), off = left ? T - n : 0;
      const at::Tensor single = model->forward(at::tensor(row, at::kLong).view({1, n}));
      EXPECT_LT(max_diff(batched[r].narrow(0, off, n), single[0]), 1e-5)
          << (left ? "left" : "right") << " padding, row " << r;
    }
  }
}

TEST(Llama, BatchedGenerationEqualsSingleRows) {
  LlamaForCausalLM model = make_model();
  const std::vector<std::vector<int64_t>> prompts = {{5, 9, 14}, {7, 1, 60, 61, 62, 8}, {33}};
  GenerationOptions g;
  g.max_new_tokens = 6;
  g.stop_at_eos = false;
  const GenerationResult batched = generate(model, prompts, g);
  for (size_t r = 0; r < prompts.size(); ++r) {
    const GenerationResult single = generate(model, {prompts[r]}, g);
    EXPECT_EQ(batched.tokens[r], single.tokens[0]) << "row " << r;
    EXPECT_EQ(batched.tokens[r].size(), 6u);
    EXPECT_EQ(batched.finish[r], "length");
  }
  // Greedy decoding is the argmax of a full recomputation at every step.
  std::vector<int64_t> seq = prompts[1];
  for (int64_t step = 0; step < 6; ++step) {
    at::NoGradGuard no_grad;
    const at::Tensor logits = model->forward(at::tensor(seq, at::kLong).view({1, -1}));
    seq.push_back(logits[0][-1].argmax().item<int64_t>());
  }
  EXPECT_EQ(std::vector<int64_t>(seq.begin() + 6, seq.end()), batched.tokens[1]);
}

TEST(Llama, GenerationStopsAtEos) {
  LlamaForCausalLM model = make_model();
  GenerationOptions g;
  g.max_new_tokens = 8;
  g.stop_at_eos = false;
  const auto free_run = generate(model, {{4, 5, 6}}, g).tokens[0];
  // Declare the 3rd generated token EOS: generation must end right before it.
  LlamaConfig c = model->config();
  c.eos_token_ids = {free_run[2]};
  LlamaForCausalLM same = make_model(c);
  g.stop_at_eos = true;
  const auto stopped = generate(same, {{4, 5, 6}}, g);
  const size_t first = static_cast<size_t>(
      std::find(free_run.begin(), free_run.end(), free_run[2]) - free_run.begin());
  EXPECT_EQ(stopped.finish[0], "eos");
  EXPECT_EQ(stopped.tokens[0], std::vector<int64_t>(free_run.begin(), free_run.begin() + first));
}

TEST(Llama, ResizeEmbeddingsAppendsMeanRows) {
  at::NoGradGuard no_grad;
  LlamaForCausalLM model = make_model();
  const at::Tensor ids = at::tensor(std::vector<int64_t>{3, 50, 95}, at::kLong).view({1, 3});
  const at::Tensor before = model->forward(ids);
  const at::Tensor old_embed = model->model->embed_tokens->weight.clone();
  const at::Tensor old_head = model->lm_head->weight.clone();
  model->resize_token_embeddings(99);
  EXPECT_EQ(model->vocab_size(), 99);
  const at::Tensor& e = model->model->embed_tokens->weight;
  ASSERT_EQ(e.sizes(), (c10::IntArrayRef{99, 32}));
  EXPECT_TRUE(e.narrow(0, 0, 96).equal(old_embed));
  for (int64_t r = 96; r < 99; ++r) EXPECT_LT(max_diff(e[r], old_embed.mean(0)), 1e-6);
  EXPECT_LT(max_diff(model->lm_head->weight[98], old_head.mean(0)), 1e-6);
  const at::Tensor after = model->forward(ids);
  ASSERT_EQ(after.size(2), 99);
  EXPECT_LT(max_diff(after.narrow(2, 0, 96), before), 1e-5);
  // The new ids embed (to the mean) instead of failing.
  EXPECT_NO_THROW(model->forward(at::full({1, 1}, 98, at::kLong)));
  EXPECT_NE(error_of([&] { model->resize_token_embeddings(50); }).find("cannot shrink"),
            std::string::npos);
}

TEST(Llama, TiedEmbeddingsShareOneMatrix) {
  at::NoGradGuard no_grad;
  LlamaConfig c = test::tiny_llama();
  c.tie_word_embeddings = true;
  LlamaForCausalLM model = make_model(c);
  EXPECT_FALSE(model->lm_head);
  for (const auto& p : model->named_parameters())
    EXPECT_EQ(p.key().find("lm_head"), std::string::npos);
  const at::Tensor ids = at::tensor(std::vector<int64_t>{1, 2, 3}, at::kLong).view({1, 3});
  const LlamaOutput out = model->forward_embeds(model->embed(ids));
  EXPECT_LT(max_diff(out.logits, at::matmul(out.hidden, model->model->embed_tokens->weight.t())),
            1e-5);
  // Round trip through an HF folder; a stored lm_head copy is ignored.
  test::TempDir dir;
  save_llama(model, dir.path());
  LlamaForCausalLM loaded = load_llama(dir.path());
  EXPECT_LT(max_diff(loaded->forward(ids), model->forward(ids)), 1e-6);
}

TEST(Llama, SaveLoadRoundTripShardedAndBf16) {
  at::NoGradGuard no_grad;
  LlamaForCausalLM model = make_model();
  test::TempDir dir;
  save_llama(model, dir.path(), /*max_shard_bytes=*/20000);
  EXPECT_TRUE(std::filesystem::exists(dir / "model.safetensors.index.json"));
  int shards = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path()))
    shards += f.path().filename().string().rfind("model-0", 0) == 0;
  EXPECT_GE(shards, 3);
  const LlamaConfig read = read_llama_config(dir / "config.json");
  EXPECT_EQ(read.kv_heads(), 2);
  EXPECT_EQ(read.head_size(), 8);
  LlamaForCausalLM loaded = load_llama(dir.path());
  const at::Tensor ids = at::tensor(std::vector<int64_t>{9, 8, 7, 6}, at::kLong).view({1, 4});
  EXPECT_EQ(max_diff(loaded->forward(ids), model->forward(ids)), 0.0);
  // bf16 weights load into a float32 model as their rounded values.
  model->to(at::kBFloat16);
  test::TempDir bf16;
  save_llama(model, bf16.path());
  EXPECT_EQ(io::read_json(bf16 / "config.json")["dtype"], "bfloat16");
  LlamaForCausalLM from_bf16 = load_llama(bf16.path());
  EXPECT_EQ(from_bf16->dtype(), at::kFloat);
  const double d = max_diff(from_bf16->forward(ids), loaded->forward(ids));
  EXPECT_GT(d, 0.0);
  EXPECT_LT(d, 0.2);
  // A bf16 model computes too (outputs float32 logits).
  LlamaForCausalLM in_bf16 = load_llama(bf16.path(), at::kBFloat16);
  EXPECT_LT(max_diff(in_bf16->forward(ids), from_bf16->forward(ids)), 0.5);
}

TEST(Llama, ErrorsAreClear) {
  at::NoGradGuard no_grad;
  LlamaForCausalLM model = make_model();
  EXPECT_NE(error_of([&] {
              model->forward(at::full({1, 2}, -200, at::kLong));
            }).find("<image>"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model->forward(at::full({1, 2}, 96, at::kLong));
            }).find("outside the vocabulary"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model->forward(at::ones({1, 3}, at::kLong), at::ones({1, 2}, at::kLong));
            }).find("attention_mask must be [B, past + T]"),
            std::string::npos);
  test::TempDir dir;
  EXPECT_NE(error_of([&] { load_llama(dir / "nope"); }).find("nope: not a folder"),
            std::string::npos);
  io::write_json(dir / "config.json", {{"model_type", "bert"}});
  EXPECT_NE(error_of([&] { load_llama(dir.path()); }).find("not a LLaMA config"),
            std::string::npos);
  io::write_json(dir / "config.json",
                 {{"model_type", "llama"}, {"hidden_size", 30}, {"num_attention_heads", 4}});
  EXPECT_NE(error_of([&] { load_llama(dir.path()); }).find("not a multiple of num_attention_heads"),
            std::string::npos);
  io::write_json(
      dir / "config.json",
      {{"model_type", "llama"}, {"rope_parameters", {{"rope_type", "yarn"}, {"factor", 4.0}}}});
  EXPECT_NE(error_of([&] {
              read_llama_config(dir / "config.json");
            }).find("unsupported rope_type 'yarn'"),
            std::string::npos);
  io::write_json(dir / "config.json", {{"model_type", "llama"}, {"num_attention_heads", "32"}});
  EXPECT_NE(error_of([&] {
              read_llama_config(dir / "config.json");
            }).find("num_attention_heads: expected integer"),
            std::string::npos);
  // A checkpoint missing a tensor names it.
  save_llama(model, dir / "ok");
  io::write_json(dir / "ok" / "config.json", llama_config_json([&] {
                   auto c = model->config();
                   c.num_hidden_layers = 3;
                   return c;
                 }()));
  EXPECT_NE(error_of([&] { load_llama(dir / "ok"); }).find("model.layers.2.mlp.up_proj.weight"),
            std::string::npos);
}

TEST(Llama, ConfigReadsRopeVariantsAndEosLists) {
  test::TempDir dir;
  io::write_json(dir / "config.json", {{"model_type", "llama"},
                                       {"hidden_size", 64},
                                       {"num_attention_heads", 4},
                                       {"rope_theta", 500000.0},
                                       {"rope_scaling",
                                        {{"rope_type", "llama3"},
                                         {"factor", 8.0},
                                         {"low_freq_factor", 1.0},
                                         {"high_freq_factor", 4.0},
                                         {"original_max_position_embeddings", 8192}}},
                                       {"eos_token_id", {128001, 128009}},
                                       {"attention_dropout", 0.1},
                                       {"tie_word_embeddings", true}});
  const LlamaConfig c = read_llama_config(dir / "config.json");
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128009}));
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.head_size(), 16);
  EXPECT_EQ(c.attention_dropout, 0.1);
  io::write_json(dir / "config.json", {{"model_type", "llama"}, {"attention_dropout", 1.5}});
  EXPECT_NE(error_of([&] { read_llama_config(dir / "config.json"); }).find("attention_dropout"),
            std::string::npos);
}

TEST(Llama, TrainsOnASequence) {
  // Gradients reach every parameter and a few AdamW-free SGD steps fit one sequence.
  LlamaForCausalLM model = make_model();
  model->train();
  const at::Tensor ids =
      at::tensor(std::vector<int64_t>{1, 10, 20, 30, 40, 50, 60, 70}, at::kLong).view({1, 8});
  auto loss_fn = [&] {
    const at::Tensor logits = model->forward(ids.narrow(1, 0, 7));  // [1, 7, V]
    return at::cross_entropy_loss(logits.reshape({7, -1}), ids.narrow(1, 1, 7).reshape({7}));
  };
  const double first = loss_fn().item<double>();
  for (int step = 0; step < 60; ++step) {
    model->zero_grad();
    at::Tensor loss = loss_fn();
    loss.backward();
    at::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
      ASSERT_TRUE(p.grad().defined());
      p.sub_(p.grad() * 0.05);
    }
  }
  const double last = loss_fn().item<double>();
  EXPECT_LT(last, 0.25 * first) << first << " -> " << last;
}

}  // namespace
}  // namespace setok::llm
