// SigLIP at image sizes that are not a multiple of the patch size (so400m: 384 / 14), as HF runs
// them: the stride-p patch convolution floors, so pixels past grid * p are never seen. HF's output
// for a 35 x 35 input with 8-pixel patches is therefore its output for the input's top-left
// 32 x 32 crop: siglip_tiny's reference, with 3 extra rows and columns of noise around it.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "fixtures.h"
#include "harness.h"
#include "setok/io/fs.h"
#include "setok/io/json.h"
#include "setok/io/safetensors.h"
#include "temp_dir.h"

namespace setok::parity {
namespace {

// siglip_tiny re-saved with vision image_size `size` (>= 32, grid still 4) and its input
// pixels padded on the right and bottom with noise of scale `noise`.
void floored_fixture(const fs::path& to, int64_t size, double noise) {
  const fs::path from = test::fixtures_dir() / "siglip_tiny";
  fs::create_directories(to);
  io::Json config = io::read_json(from / "config.json");
  config["vision_config"]["image_size"] = size;
  io::write_json(to / "config.json", config);
  fs::copy_file(from / "fixture.json", to / "fixture.json");
  fs::copy_file(from / "model.safetensors", to / "model.safetensors");
  const auto ref = io::SafetensorsFile::open(from / "reference.safetensors");
  io::NamedTensors tensors;
  for (const auto& name : ref->names()) {
    at::Tensor t = ref->tensor(name).clone();
    if (name == "pixel_values") {
      const int64_t pad = size - t.size(2);
      at::manual_seed(5);
      at::Tensor big = at::randn({t.size(0), t.size(1), size, size}) * noise;
      big.narrow(2, 0, size - pad).narrow(3, 0, size - pad).copy_(t);
      t = big;
    }
    tensors.emplace_back(name, t);
  }
  io::save_safetensors(to / "reference.safetensors", tensors);
}

TEST(SiglipChecker, ImageSizeNotAMultipleOfThePatchFloorsLikeHf) {
  test::TempDir dir;
  floored_fixture(dir / "siglip_35", 35, 3.0);
  const auto lines = check_folder(dir / "siglip_35");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].status, Status::kOk) << lines[1].text();
  // The same folder at 40 pixels has a 5 x 5 grid: 25 positions against 16 stored weights.
  floored_fixture(dir / "siglip_40", 40, 3.0);
  const auto bad = check_folder(dir / "siglip_40");
  EXPECT_EQ(bad[1].status, Status::kFail) << bad[1].text();
}

}  // namespace
}  // namespace setok::parity
