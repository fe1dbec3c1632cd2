// Sampling filters, seeded sampling, stop strings in generation, and the text streamer.
#include "setok/llm/sampling.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "errors.h"
#include "llm_fixtures.h"
#include "setok/llm/generation.h"
#include "setok/llm/text_streamer.h"
#include "setok/llm/text_tokenizer.h"
#include "setok/runtime/seed.h"
#include "temp_dir.h"

namespace setok::llm {
namespace {

at::Tensor logits_of(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return at::tensor(l).view({1, -1});
}

std::vector<bool> kept(const at::Tensor& filtered) {
  std::vector<bool> out;
  for (int64_t i = 0; i < filtered.size(1); ++i)
    out.push_back(std::isfinite(filtered[0][i].item<double>()));
  return out;
}

TEST(Sampling, GreedyTopKAndTopP) {
  const at::Tensor l = logits_of({0.15, 0.5, 0.05, 0.3});  // ranks: 1, 3, 0, 2
  SamplingOptions greedy;
  EXPECT_EQ(sample_next(l, greedy).item<int64_t>(), 1);
  SamplingOptions k;
  k.temperature = 1.0;
  k.top_k = 2;
  EXPECT_EQ(kept(filter_logits(l, k)), (std::vector<bool>{false, true, false, true}));
  SamplingOptions p;
  p.temperature = 1.0;
  p.top_p = 0.7;  // 0.5 + 0.3 reaches 0.7
  EXPECT_EQ(kept(filter_logits(l, p)), (std::vector<bool>{false, true, false, true}));
  p.top_p = 0.5;
  EXPECT_EQ(kept(filter_logits(l, p)), (std::vector<bool>{false, true, false, false}));
  p.top_p = 0.81;
  EXPECT_EQ(kept(filter_logits(l, p)), (std::vector<bool>{true, true, false, true}));
  p.top_p = 0.01;  // the most likely token always survives
  EXPECT_EQ(kept(filter_logits(l, p)), (std::vector<bool>{false, true, false, false}));
  // Temperature divides the logits.
  SamplingOptions t;
  t.temperature = 2.0;
  EXPECT_NEAR(filter_logits(l, t)[0][1].item<double>(), std::log(0.5) / 2, 1e-6);
  SamplingOptions bad;
  bad.top_p = 1.5;
  EXPECT_NE(test::error_of([&] { sample_next(l, bad); }).find("top_p"), std::string::npos);
}

TEST(Sampling, SeededDrawsFollowTheDistribution) {
  const at::Tensor l = logits_of({0.1, 0.6, 0.3}).expand({2000, 3}).contiguous();
  SamplingOptions o;
  o.temperature = 1.0;
  at::Generator g1 = runtime::make_cpu_generator("test.sampling");
  at::Generator g2 = runtime::make_cpu_generator("test.sampling");
  const at::Tensor a = sample_next(l, o, g1), b = sample_next(l, o, g2);
  EXPECT_TRUE(a.equal(b));  // same seed, same draws
  const at::Tensor counts = at::bincount(a, {}, 3).to(at::kDouble) / 2000.0;
  EXPECT_NEAR(counts[0].item<double>(), 0.1, 0.03);
  EXPECT_NEAR(counts[1].item<double>(), 0.6, 0.04);
  EXPECT_NEAR(counts[2].item<double>(), 0.3, 0.04);
  o.top_k = 1;  // top-1 sampling is greedy whatever the temperature
  EXPECT_TRUE((sample_next(l, o, g1) == 1).all().item<bool>());
}

using GenerationTextTest = test::ChatTokenizerSuite;

TEST_F(GenerationTextTest, StopStringsEndARowAndCutTheText) {
  const TextTokenizer& t = tok();
  at::manual_seed(11);
  LlamaForCausalLM model(test::tiny_llama(t.vocab_size()));
  model->eval();
  GenerationOptions g;
  g.max_new_tokens = 24;
  g.stop_at_eos = false;
  const auto prompt = t.encode("USER: What colour is the star? ASSISTANT:");
  const GenerationResult free_run = generate(model, {prompt}, g, &t);
  const std::string text = free_run.texts[0];
  ASSERT_GE(text.size(), 8u) << "the random model should produce some text";
  // Stop on a piece of the text the model produces anyway.
  const std::string stop = text.substr(text.size() / 2, 3);
  g.stop = {stop};
  const GenerationResult stopped = generate(model, {prompt}, g, &t);
  EXPECT_EQ(stopped.finish[0], "stop");
  EXPECT_EQ(stopped.texts[0], text.substr(0, text.find(stop)));
  EXPECT_LT(stopped.tokens[0].size(), free_run.tokens[0].size());
  EXPECT_EQ(free_run.finish[0], "length");
  // The streamer releases exactly the final text, and never a partial stop string.
  TextStreamer streamer(t, {stop});
  std::string streamed;
  for (const int64_t token : stopped.tokens[0]) {
    streamed += streamer.push(token);
    EXPECT_EQ(streamed.find(stop), std::string::npos);
  }
  streamed += streamer.finish();
  EXPECT_EQ(streamed, stopped.texts[0]);
  EXPECT_NE(test::error_of([&] { generate(model, {prompt}, g); }).find("need a tokenizer"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { generate(model, {{}}, g, &t); }).find("empty"), std::string::npos);
}

TEST_F(GenerationTextTest, StreamerHoldsBackPossibleStopPrefixes) {
  const TextTokenizer& t = tok();
  const auto ids = t.encode("It is red. USER: more", false);
  TextStreamer s(t, {"USER:"});
  std::string out;
  for (const int64_t id : ids) out += s.push(id);
  out += s.finish();
  EXPECT_EQ(out, "It is red. ");
  TextStreamer plain(t);
  std::string all;
  for (const int64_t id : ids) all += plain.push(id);
  all += plain.finish();
  EXPECT_EQ(all, "It is red. USER: more");
}

}  // namespace
}  // namespace setok::llm
