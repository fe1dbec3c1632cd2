// setok_infer tokenize end to end with the tiny config: records, overlays, errors.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "run_cli.h"
#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::test {
namespace {

namespace fs = std::filesystem;

const std::string kConfig = std::string(SETOK_SOURCE_DIR) + "/configs/setok_tiny.json";

// A flat background with `n` coloured squares.
at::Tensor squares(int n, int64_t side) {
  at::Tensor img = at::full({3, side, side}, 40, at::kByte);
  for (int i = 0; i < n; ++i) {
    const int64_t s = side / 4, y = (i * 37) % (side - s), x = (i * 53 + 7) % (side - s);
    img.narrow(1, y, s).narrow(2, x, s).copy_(
        at::tensor({200 - 30 * i, 60 + 40 * i, 120}, at::kInt).to(at::kByte).view({3, 1, 1}));
  }
  return img;
}

CliRun tokenize(const std::string& args) {
  return run_command(std::string(SETOK_INFER_BIN) + " tokenize --config " + kConfig + " " + args);
}

TEST(CliTokenize, WritesRecordsAndOverlays) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  TempDir dir;
  std::string images;
  for (int n = 1; n <= 3; ++n) {
    const fs::path p = dir / ("scene" + std::to_string(n) + ".png");
    io::write_image(p, squares(n, 96 + 16 * n));  // any size: preprocessing resizes
    images += " " + p.string();
  }
  const CliRun r =
      tokenize("--images" + images + " --out " + (dir / "out").string() + " --batch 2");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto rows = io::read_jsonl(dir / "out" / "tokens.jsonl");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    const int64_t L = row["num_tokens"].get<int64_t>();
    EXPECT_GE(L, 1);
    EXPECT_EQ(row["cluster_sizes"].size(), static_cast<size_t>(L));
    EXPECT_EQ(row["centres"].size(), static_cast<size_t>(L));
    int64_t total = 0;
    for (const auto& s : row["cluster_sizes"]) total += s.get<int64_t>();
    EXPECT_EQ(total, 256);  // every patch of the 16 x 16 grid is in exactly one cluster
    const at::Tensor overlay = io::read_image(dir / "out" / row["overlay"].get<std::string>());
    EXPECT_EQ(overlay.sizes(), (std::vector<int64_t>{3, 256, 256}));  // 64 px upscaled x4
  }
  EXPECT_NE(r.out.find("tokenized 3 images"), std::string::npos) << r.out;
}

TEST(CliTokenize, ListInputAndErrors) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  TempDir dir;
  io::write_image(dir / "a.png", squares(2, 64));
  // The id defaults to the image path; the same image twice needs an id of its own.
  io::write_file_atomic(dir / "list.jsonl",
                        "{\"image\": \"a.png\"}\n{\"image\": \"a.png\", \"id\": 2}\n");
  CliRun r = tokenize("--list " + (dir / "list.jsonl").string() + " --out " +
                      (dir / "out").string() + " --no-overlays");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(io::read_jsonl(dir / "out" / "tokens.jsonl").size(), 2u);
  EXPECT_FALSE(fs::exists(dir / "out" / "overlays"));

  // A bad line and an unreadable image are error records; the rest still runs (exit code 1).
  io::write_file_atomic(dir / "broken.png", "not an image");
  io::write_file_atomic(dir / "bad.jsonl",
                        "{\"image\": \"a.png\"}\n{\"img\": \"b.png\"}\n"
                        "{\"image\": \"broken.png\"}\n{\"image\": \"a.png\", \"id\": \"again\"}\n");
  r = tokenize("--list " + (dir / "bad.jsonl").string() + " --out " + (dir / "o2").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(io::read_jsonl(dir / "o2" / "tokens.jsonl").size(), 2u);
  const auto errors = io::read_jsonl(dir / "o2" / "errors.jsonl");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0]["line"], 2);
  EXPECT_EQ(errors[0]["error"], "needs \"image\" (a string)");
  EXPECT_EQ(errors[1]["line"], 3);
  EXPECT_NE(errors[1]["error"].get<std::string>().find("broken.png: cannot decode image"),
            std::string::npos);
  // A re-run tokenizes only what is missing; --strict stops at the first error.
  r = tokenize("--list " + (dir / "bad.jsonl").string() + " --out " + (dir / "o2").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(io::read_jsonl(dir / "o2" / "tokens.jsonl").size(), 2u);
  r = tokenize("--list " + (dir / "bad.jsonl").string() + " --strict --out " +
               (dir / "o3").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("line 2: needs \"image\""), std::string::npos) << r.out;

  r = tokenize("--images " + (dir / "a.png").string() + " --out " + (dir / "o4").string() +
               " --set model.tokenizer.k=0");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("model.tokenizer.k: must be >= 1"), std::string::npos) << r.out;

  r = tokenize("--out " + (dir / "o5").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("give --images or --list"), std::string::npos) << r.out;

  // Usage errors CLI11 finds exit 1 too (its own code for a missing file is 105).
  r = tokenize("--config " + (dir / "missing.json").string() + " --out " + (dir / "o6").string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("setok_infer: error: --config: File does not exist"), std::string::npos)
      << r.out;
  r = run_command(std::string(SETOK_INFER_BIN) + " tokenize --no-such-flag");
  EXPECT_EQ(r.code, 1) << r.out;
  r = run_command(std::string(SETOK_INFER_BIN) + " --help");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CliTokenize, HelpConfigListsKeys) {
  const CliRun r = run_command(std::string(SETOK_INFER_BIN) + " tokenize --help-config");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("model.tokenizer.threshold  number  0.5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model.vision.select_layer"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace setok::test
