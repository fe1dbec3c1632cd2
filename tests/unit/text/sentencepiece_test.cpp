#include "setok/text/sentencepiece.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/fs.h"
#include "setok/vision/siglip_text_tokenizer.h"
#include "temp_dir.h"

namespace setok::text {
namespace {

using test::error_of;

// A tiny corpus of the synthetic world's sentences.
std::filesystem::path train_small(const test::TempDir& dir) {
  std::string text;
  const char* colours[] = {"red", "green", "blue", "yellow", "purple", "orange"};
  const char* shapes[] = {"circle", "square", "triangle", "star", "diamond", "hexagon"};
  for (const char* c : colours) {
    for (const char* s : shapes) {
      text += std::string("a large ") + c + " " + s + " and a small " + c + " " + s + "\n";
      text += std::string("How many ") + s + "s are there?\n";
    }
  }
  io::write_file_atomic(dir / "text.txt", text);
  SpmTrainOptions o;
  o.vocab_size = 60;
  return train_sentencepiece(dir / "text.txt", dir / "spm", o);
}

TEST(SentencePiece, TrainEncodeDecodeRoundTrip) {
  test::TempDir dir;
  const auto model_path = train_small(dir);
  const SentencePiece sp(model_path);
  EXPECT_GT(sp.vocab_size(), 20);
  EXPECT_EQ(sp.unk_id(), 0);
  EXPECT_EQ(sp.bos_id(), 1);
  EXPECT_EQ(sp.eos_id(), 2);
  const std::string text = "a small blue star and a large red hexagon";
  const auto ids = sp.encode(text);
  EXPECT_FALSE(ids.empty());
  EXPECT_EQ(sp.decode(ids), text);
  EXPECT_EQ(sp.pieces("red").size(), sp.encode("red").size());
  EXPECT_EQ(sp.piece_to_id(sp.id_to_piece(ids[0])), ids[0]);
  EXPECT_THROW(sp.decode({static_cast<int64_t>(sp.vocab_size())}), Error);
}

TEST(SentencePiece, ErrorsNameTheFile) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { SentencePiece(dir / "none.model"); }).find("none.model: no such"),
            std::string::npos);
  io::write_file_atomic(dir / "bad.model", "not a model at all");
  EXPECT_NE(error_of([&] {
              SentencePiece(dir / "bad.model");
            }).find("bad.model: not a SentencePiece model"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              train_sentencepiece(dir / "missing.txt", dir / "o", {});
            }).find("missing.txt"),
            std::string::npos);
  io::write_file_atomic(dir / "empty.txt", "\n");
  EXPECT_NE(error_of([&] {
              train_sentencepiece(dir / "empty.txt", dir / "o", {});
            }).find("SentencePiece training (spm_train) failed"),
            std::string::npos);
}

TEST(SiglipTextTokenizer, FixedLengthEosAndPadding) {
  test::TempDir dir;
  vision::SiglipTextTokenizer tok(SentencePiece(train_small(dir)), 12);
  EXPECT_EQ(vision::SiglipTextTokenizer::canonicalize("  A Large, RED circle!  "),
            "a large red circle");
  const at::Tensor ids = tok.encode({"a large red circle", "Star?"});
  ASSERT_EQ(ids.sizes(), (std::vector<int64_t>{2, 12}));
  const SentencePiece sp(dir / "spm" / "tokenizer.model");
  const auto body = sp.encode("a large red circle");
  for (size_t i = 0; i < body.size(); ++i)
    EXPECT_EQ(ids[0][static_cast<int64_t>(i)].item<int64_t>(), body[i]);
  EXPECT_EQ(ids[0][static_cast<int64_t>(body.size())].item<int64_t>(), sp.eos_id());
  EXPECT_EQ(ids[0][11].item<int64_t>(), tok.pad_id());  // padded with EOS, as SigLIP does
  EXPECT_EQ(tok.pad_id(), sp.eos_id());
  // Long text is truncated to leave room for EOS.
  const at::Tensor longer = tok.encode({std::string(200, 'a')});
  EXPECT_EQ(longer[0][11].item<int64_t>(), sp.eos_id());
}

}  // namespace
}  // namespace setok::text
