#include "setok/vision/siglip_loader.h"

#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"

namespace setok::vision {

io::NameMap siglip_vision_name_map(bool use_head) {
  io::NameMap map;
  map.prefix("vision_model.", "").ignore(R"(text_model\..*)").ignore(R"(logit_(scale|bias))");
  if (!use_head) map.ignore(R"(vision_model\.head\..*)");
  return map;
}

SiglipVisionModel load_siglip_vision(const std::filesystem::path& folder) {
  const SiglipConfig config = read_siglip_config(folder / "config.json");
  SiglipVisionModel model(config.vision);
  io::LoadOptions options;
  options.name_map = siglip_vision_name_map(config.vision.use_head);
  io::load_state(*model, io::TensorStore::open(folder), options);
  return model;
}

SiglipModel load_siglip(const std::filesystem::path& folder) {
  SiglipModel model(read_siglip_config(folder / "config.json"));
  io::load_state(*model, io::TensorStore::open(folder));
  return model;
}

}  // namespace setok::vision
