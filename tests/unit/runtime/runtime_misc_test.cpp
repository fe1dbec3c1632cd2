// Logging, app error handling and the autocast compat layer.
#include <gtest/gtest.h>

#include <ATen/Context.h>
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include "setok/io/fs.h"
#include "setok/runtime/app.h"
#include "setok/runtime/compat.h"
#include "setok/runtime/error.h"
#include "setok/runtime/logging.h"
#include "temp_dir.h"

namespace setok::runtime {
namespace {

TEST(Logging, RankPrefixOnlyForMultiProcessRuns) {
  EXPECT_EQ(rank_prefix(0, 1), "");
  EXPECT_EQ(rank_prefix(3, 8), "[rank 3/8] ");
}

TEST(Logging, FileSinkGetsPrefixedLinesAndQuietRanksDropInfo) {
  test::TempDir dir;
  init_logging({"info", 2, 4, false, dir / "r2.log"});
  spdlog::info("hidden info");
  spdlog::warn("visible warning");
  spdlog::default_logger()->flush();
  init_logging({"info", 0, 4, false, dir / "r0.log"});
  spdlog::info("rank zero info");
  spdlog::default_logger()->flush();
  const std::string r2 = io::read_file(dir / "r2.log");
  EXPECT_EQ(r2.find("hidden info"), std::string::npos) << r2;
  EXPECT_NE(r2.find("[rank 2/4] [warning] visible warning"), std::string::npos) << r2;
  EXPECT_NE(io::read_file(dir / "r0.log").find("[rank 0/4] [info] rank zero info"),
            std::string::npos);
  init_logging({});
}

TEST(Logging, UnknownLevelIsAnError) {
  LogOptions o;
  o.level = "verbose";
  EXPECT_THROW(init_logging(o), Error);
  o.level = "off";
  EXPECT_NO_THROW(init_logging(o));
  init_logging({});
}

TEST(App, ErrorsBecomeExitCodeOne) {
  EXPECT_EQ(run_app("t", [] { return 0; }), 0);
  EXPECT_EQ(run_app("t", [] { return 3; }), 3);
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_app("tool", []() -> int { throw Error("x.json: broken"); }), 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "tool: error: x.json: broken\n");
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_app("tool", []() -> int { TORCH_CHECK(false, "shape bad"); }), 1);
  const std::string torch_err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(torch_err.rfind("tool: error: shape bad", 0), 0u) << torch_err;
}

TEST(Compat, Tf32SwitchesMatmulPrecisionAndCudnn) {
  auto& ctx = at::globalContext();
  compat::set_tf32(true);
  EXPECT_EQ(ctx.float32MatmulPrecision(), at::Float32MatmulPrecision::HIGH);
  EXPECT_TRUE(ctx.allowTF32CuDNN());
  compat::set_tf32(false);
  EXPECT_EQ(ctx.float32MatmulPrecision(), at::Float32MatmulPrecision::HIGHEST);
  EXPECT_FALSE(ctx.allowTF32CuDNN());
  compat::set_tf32(false);  // the CPU default: full float32
}

TEST(Compat, AutocastGuardRestoresStateAndDtype) {
  const bool was = compat::is_autocast_enabled(c10::DeviceType::CPU);
  const auto dtype = compat::autocast_dtype(c10::DeviceType::CPU);
  {
    compat::AutocastGuard guard(c10::DeviceType::CPU, c10::kBFloat16);
    EXPECT_TRUE(compat::is_autocast_enabled(c10::DeviceType::CPU));
    EXPECT_EQ(compat::autocast_dtype(c10::DeviceType::CPU), c10::kBFloat16);
  }
  EXPECT_EQ(compat::is_autocast_enabled(c10::DeviceType::CPU), was);
  EXPECT_EQ(compat::autocast_dtype(c10::DeviceType::CPU), dtype);
  // CUDA autocast state can be toggled even in CPU builds (it is a thread-local flag).
  compat::set_autocast_dtype(c10::DeviceType::CUDA, c10::kBFloat16);
  EXPECT_EQ(compat::autocast_dtype(c10::DeviceType::CUDA), c10::kBFloat16);
  EXPECT_THROW(compat::set_autocast_enabled(c10::DeviceType::HIP, true), Error);
  EXPECT_FALSE(compat::torch_version().empty());
}

}  // namespace
}  // namespace setok::runtime
