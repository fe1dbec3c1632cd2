// `setok_infer chat` end to end: a random tiny LLaMA saved as an HF folder with a trained
// SentencePiece model; the streamed reply equals the library's greedy chat, and bad inputs
// give one clear error.
#include <gtest/gtest.h>

#include "llm_fixtures.h"
#include "run_cli.h"
#include "setok/infer/chat.h"
#include "setok/llm/llama_loader.h"
#include "setok/llm/text_tokenizer.h"
#include "temp_dir.h"

namespace setok {
namespace {

TEST(CliChat, StreamsTheGreedyReply) {
  test::TempDir dir;
  const auto spm = test::train_chat_spm(dir.path());
  const llm::TextTokenizer tok(spm);
  at::manual_seed(21);
  llm::LlamaForCausalLM model(test::tiny_llama(tok.vocab_size()));
  llm::save_llama(model, dir / "llm");
  std::filesystem::copy_file(spm, dir / "llm" / "tokenizer.model");

  infer::ChatOptions o;
  o.generation.max_new_tokens = 12;
  const infer::ChatResult want = infer::chat(model, tok, "What colour is the star?", o);
  ASSERT_FALSE(want.text.empty());

  const std::string cmd =
      std::string(SETOK_INFER_BIN) + " chat --llm " + (dir / "llm").string() +
      " --prompt 'What colour is the star?' --max-new-tokens 12 --log-level warn";
  const test::CliRun run = test::run_command(cmd);
  ASSERT_EQ(run.code, 0) << run.out;
  EXPECT_EQ(run.out, want.text + "\n");

  // Sampling with a seed is reproducible, and --stop cuts the reply.
  const std::string sampled = cmd + " --temperature 1.0 --top-k 20 --seed 3";
  const test::CliRun a = test::run_command(sampled), b = test::run_command(sampled);
  EXPECT_EQ(a.code, 0) << a.out;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, run.out) << "sampling at temperature 1 should leave the greedy path";
  const std::string stop = want.text.substr(want.text.size() / 2, 2);
  const test::CliRun cut = test::run_command(cmd + " --stop '" + stop + "'");
  EXPECT_EQ(cut.out, want.text.substr(0, want.text.find(stop)) + "\n") << cut.out;
}

TEST(CliChat, BadInputsGiveOneClearError) {
  test::TempDir dir;
  at::manual_seed(1);
  llm::LlamaForCausalLM model(test::tiny_llama());
  llm::save_llama(model, dir / "llm");  // no tokenizer.model
  const std::string bin = std::string(SETOK_INFER_BIN) + " chat --prompt hi --llm ";
  const test::CliRun no_tok = test::run_command(bin + (dir / "llm").string());
  EXPECT_NE(no_tok.code, 0);
  EXPECT_NE(no_tok.out.find("has no tokenizer.model"), std::string::npos) << no_tok.out;
  std::filesystem::create_directories(dir / "empty");
  const test::CliRun no_cfg = test::run_command(bin + (dir / "empty").string());
  EXPECT_NE(no_cfg.code, 0);
  EXPECT_NE(no_cfg.out.find("config.json"), std::string::npos) << no_cfg.out;
  EXPECT_EQ(no_cfg.out.find("terminate called"), std::string::npos) << no_cfg.out;
}

}  // namespace
}  // namespace setok
