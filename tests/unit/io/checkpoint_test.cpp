#include "setok/io/checkpoint.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::io {
namespace {

namespace fs = std::filesystem;

void write_marker(const fs::path& folder, const std::string& text) {
  write_file_atomic(folder / "marker.txt", text);
}

TEST(Checkpoint, SavePublishesFolderAndLatest) {
  test::TempDir dir;
  CheckpointDir ckpt(dir / "checkpoints");
  EXPECT_EQ(ckpt.latest(), std::nullopt);
  const auto path = ckpt.save(10, [](const fs::path& f) { write_marker(f, "ten"); });
  EXPECT_EQ(path, dir / "checkpoints" / "step_10");
  EXPECT_EQ(read_file(path / "marker.txt"), "ten");
  EXPECT_EQ(read_file(dir / "checkpoints" / "latest"), "step_10\n");
  ckpt.save(20, [](const fs::path& f) { write_marker(f, "twenty"); });
  EXPECT_EQ(ckpt.latest(), dir / "checkpoints" / "step_20");
  ASSERT_EQ(ckpt.list().size(), 2u);
  EXPECT_EQ(ckpt.list()[0].first, 10);
}

TEST(Checkpoint, InterruptedWriteLeavesPreviousLatestIntact) {
  test::TempDir dir;
  CheckpointDir ckpt(dir.path());
  ckpt.save(1, [](const fs::path& f) { write_marker(f, "one"); });
  EXPECT_THROW(ckpt.save(2,
                         [](const fs::path& f) {
                           write_marker(f, "partial");
                           throw std::runtime_error("killed mid-write");
                         }),
               std::runtime_error);
  EXPECT_EQ(ckpt.latest(), dir / "step_1");
  EXPECT_FALSE(fs::exists(dir / "step_2"));
  EXPECT_EQ(read_file(dir / "latest"), "step_1\n");
  // No temporary folder is left behind.
  for (const auto& item : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(item.path().filename().string().rfind(".tmp-", 0), std::string::npos) << item.path();
  }
}

TEST(Checkpoint, CrashLeftoversAreIgnoredAndCleanedOnOpen) {
  test::TempDir dir;
  {
    CheckpointDir ckpt(dir.path());
    ckpt.save(5, [](const fs::path& f) { write_marker(f, "five"); });
  }
  // What a process killed before its rename leaves behind.
  fs::create_directories(dir / ".tmp-step_6-999");
  write_marker(dir / ".tmp-step_6-999", "torn");
  CheckpointDir reopened(dir.path());
  EXPECT_FALSE(fs::exists(dir / ".tmp-step_6-999"));
  EXPECT_EQ(reopened.latest(), dir / "step_5");
  ASSERT_EQ(reopened.list().size(), 1u);
}

TEST(Checkpoint, KeepLastPrunesOldest) {
  test::TempDir dir;
  CheckpointDir ckpt(dir.path(), /*keep_last=*/2);
  for (int step : {100, 200, 300, 400}) {
    ckpt.save(step, [&](const fs::path& f) { write_marker(f, std::to_string(step)); });
  }
  const auto all = ckpt.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, 300);
  EXPECT_EQ(all[1].first, 400);
  EXPECT_EQ(ckpt.latest(), dir / "step_400");
}

TEST(Checkpoint, PruneNeverRemovesLatest) {
  test::TempDir dir;
  {
    CheckpointDir keep_all(dir.path());
    keep_all.save(3, [](const fs::path& f) { write_marker(f, "3"); });
    keep_all.save(1, [](const fs::path& f) { write_marker(f, "1"); });  // latest = an older step
  }
  CheckpointDir ckpt(dir.path(), 1);
  ckpt.prune();
  EXPECT_TRUE(fs::exists(dir / "step_1"));  // named by latest
  EXPECT_TRUE(fs::exists(dir / "step_3"));  // the newest
}

TEST(Checkpoint, ResavingAStepReplacesIt) {
  test::TempDir dir;
  CheckpointDir ckpt(dir.path());
  ckpt.save(7, [](const fs::path& f) { write_marker(f, "first"); });
  ckpt.save(7, [](const fs::path& f) { write_marker(f, "second"); });
  EXPECT_EQ(read_file(dir / "step_7" / "marker.txt"), "second");
  EXPECT_EQ(ckpt.list().size(), 1u);
}

TEST(Checkpoint, LatestFallsBackWhenPointerIsStale) {
  test::TempDir dir;
  CheckpointDir ckpt(dir.path());
  ckpt.save(1, [](const fs::path& f) { write_marker(f, "1"); });
  ckpt.save(2, [](const fs::path& f) { write_marker(f, "2"); });
  write_file_atomic(dir / "latest", "step_9\n");  // names a folder that is gone
  EXPECT_EQ(ckpt.latest(), dir / "step_2");
  write_file_atomic(dir / "latest", "../../etc\n");  // never leaves the root
  EXPECT_EQ(ckpt.latest(), dir / "step_2");
}

TEST(Checkpoint, ParseStep) {
  EXPECT_EQ(CheckpointDir::parse_step("step_0"), 0);
  EXPECT_EQ(CheckpointDir::parse_step("/a/b/step_1234"), 1234);
  EXPECT_EQ(CheckpointDir::parse_step("step_"), std::nullopt);
  EXPECT_EQ(CheckpointDir::parse_step("step_1a"), std::nullopt);
  EXPECT_EQ(CheckpointDir::parse_step("latest"), std::nullopt);
}

TEST(Checkpoint, ResolveAcceptsRunFolderRootOrStep) {
  test::TempDir dir;
  CheckpointDir ckpt(dir / "run" / "checkpoints");
  ckpt.save(4, [](const fs::path& f) { write_marker(f, "4"); });
  const fs::path step = dir / "run" / "checkpoints" / "step_4";
  EXPECT_EQ(resolve_checkpoint(dir / "run"), step);
  EXPECT_EQ(resolve_checkpoint(dir / "run" / "checkpoints"), step);
  EXPECT_EQ(resolve_checkpoint(step), step);
  EXPECT_THROW(resolve_checkpoint(dir / "nope"), Error);
  fs::create_directories(dir / "empty");
  EXPECT_THROW(resolve_checkpoint(dir / "empty"), Error);
  EXPECT_FALSE(fs::exists(dir / "empty" / "checkpoints"));  // resolving never creates folders
}

}  // namespace
}  // namespace setok::io
