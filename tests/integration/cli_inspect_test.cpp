// Runs the real setok_infer binary, as a user would.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "fixtures.h"
#include "run_cli.h"
#include "safetensors_bytes.h"
#include "setok/io/image.h"
#include "temp_dir.h"

namespace setok::test {
namespace {

CliRun run_cli(const std::string& args) {
  return run_command(std::string(SETOK_INFER_BIN) + " " + args);
}

TEST(CliInspect, ListsShardedLlama) {
  const CliRun r = run_cli("inspect " + (fixtures_dir() / "llama_tiny").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("model.safetensors.index.json (sharded: 10 files)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("21 tensors, 141632 parameters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model.embed_tokens.weight"), std::string::npos) << r.out;
}

TEST(CliInspect, JsonOutputParses) {
  const CliRun r =
      run_cli("inspect --json " + (fixtures_dir() / "bert_tiny" / "model.safetensors").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_NE(r.out.find("\"num_tensors\": 39"), std::string::npos) << r.out;
}

TEST(CliInspect, CorruptFileGivesOneClearLineAndNonZeroExit) {
  TempDir dir;
  for (const auto& c : corrupt_safetensors_cases()) {
    const auto path = dir / (c.name + ".safetensors");
    write_bytes(path, c.bytes);
    const CliRun r = run_cli("inspect " + path.string());
    EXPECT_EQ(r.code, 1) << c.name << ": " << r.out;
    EXPECT_EQ(r.out.rfind("setok_infer: error: " + path.string() + ": ", 0), 0u)
        << c.name << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.name << ": " << r.out;
  }
}

// `setok_infer plot RUN`: a run folder's curves as a PNG; a folder that is not a run is one
// clear line and exit code 1.
TEST(CliPlot, DrawsARunsCurves) {
  TempDir dir;
  std::FILE* f = std::fopen((dir / "metrics.jsonl").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("{\"step\": 10, \"loss\": 1.0}\n{\"step\": 20, \"loss\": 0.5}\n", f);
  std::fclose(f);
  const CliRun r = run_cli("plot " + dir.path().string() + " --out " + (dir / "c.png").string());
  if (io::has_drawing_support()) {  // plots are drawn with OpenCV
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(std::filesystem::exists(dir / "c.png")) << r.out;
  } else {
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("needs OpenCV"), std::string::npos) << r.out;
  }
  const CliRun bad = run_cli("plot " + (dir / "nothing").string());
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("not a run folder"), std::string::npos) << bad.out;
  EXPECT_EQ(std::count(bad.out.begin(), bad.out.end(), '\n'), 1) << bad.out;
  EXPECT_EQ(run_cli("plot --help").code, 0);
}

TEST(CliInspect, UsageErrors) {
  EXPECT_NE(run_cli("").code, 0);
  EXPECT_NE(run_cli("inspect").code, 0);
  const CliRun help = run_cli("inspect --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--json"), std::string::npos);
}

}  // namespace
}  // namespace setok::test
