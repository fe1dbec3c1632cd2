// PSNR and SSIM against values computed by hand, and the folder scorer's errors.
#include "setok/scores/image_quality.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/io/image.h"
#include "temp_dir.h"

namespace setok::scores {
namespace {

using test::error_of;

TEST(ImageQuality, ConstantImagesByHand) {
  const at::Tensor a = at::full({3, 16, 16}, 0.2, at::kDouble);
  const at::Tensor b = at::full({3, 16, 16}, 0.4, at::kDouble);
  // MSE 0.04 -> 10 log10(25) dB.
  EXPECT_NEAR(image_psnr(a, b), 10.0 * std::log10(25.0), 1e-9);
  // No variance: only the luminance term, (2 * 0.2 * 0.4 + C1) / (0.04 + 0.16 + C1), C1 = 1e-4.
  EXPECT_NEAR(image_ssim(a, b), (0.16 + 1e-4) / (0.2 + 1e-4), 1e-9);
  EXPECT_NEAR(image_ssim(a, a), 1.0, 1e-12);
  EXPECT_NEAR(image_psnr(a, a), 100.0, 1e-9);  // MSE floored at 1e-10
  // uint8 is read as /255.
  const at::Tensor u = at::full({3, 16, 16}, 51, at::kByte);  // 0.2
  EXPECT_NEAR(image_psnr(u, b), 10.0 * std::log10(25.0), 1e-6);
}

TEST(ImageQuality, StructureLowersSsimButNotAConstantShift) {
  at::manual_seed(0);
  const at::Tensor x = at::rand({3, 32, 32}, at::kDouble) * 0.5 + 0.25;
  // Same structure, shifted brightness: SSIM keeps the structure and contrast terms at 1.
  const double shifted = image_ssim(x + 0.05, x);
  const double noisy = image_ssim(x + 0.1 * at::randn_like(x), x);
  EXPECT_GT(shifted, 0.95);
  EXPECT_LT(noisy, shifted);
  EXPECT_GT(image_ssim(x, x), 1.0 - 1e-12);
  EXPECT_NE(error_of([&] {
              image_ssim(at::zeros({3, 8, 8}), at::zeros({3, 8, 8}));
            }).find("at least 11 x 11"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              image_psnr(at::zeros({3, 8, 8}), at::zeros({3, 8, 9}));
            }).find("prediction 8x8 vs reference 8x9"),
            std::string::npos);
}

TEST(ImageQuality, FoldersPairFilesByName) {
  if (!io::has_image_support()) GTEST_SKIP() << "this build reads no PNG (neither OpenCV nor zlib)";
  test::TempDir dir;
  std::filesystem::create_directories(dir / "ref");
  std::filesystem::create_directories(dir / "pred");
  io::write_image(dir / "ref" / "a.png", at::full({3, 16, 16}, 51, at::kByte));
  io::write_image(dir / "pred" / "a.png", at::full({3, 16, 16}, 102, at::kByte));
  const ImageScore s = score_images(dir / "pred", dir / "ref");
  EXPECT_EQ(s.images, 1);
  EXPECT_NEAR(s.psnr, 10.0 * std::log10(25.0), 1e-6);
  EXPECT_NEAR(s.ssim, (0.16 + 1e-4) / (0.2 + 1e-4), 1e-6);
  io::write_image(dir / "ref" / "b.png", at::full({3, 16, 16}, 0, at::kByte));
  const std::string e = error_of([&] { score_images(dir / "pred", dir / "ref"); });
  EXPECT_NE(e.find("b.png: no prediction for reference"), std::string::npos) << e;
}

}  // namespace
}  // namespace setok::scores
