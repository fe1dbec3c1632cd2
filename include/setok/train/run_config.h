#pragma once
// The root config of a training run. The engine reads five sections — runtime, log, dist, data
// and train — and each stage extends data and train with its own keys; a stage's root config
// derives from RunConfig, owns its sections (its extended data / train, its model) and hands
// the engine the shared parts through data_section() / train_section().
#include "setok/config/runtime_config.h"
#include "setok/config/schema.h"
#include "setok/train/train_config.h"

namespace setok::train {

struct RunConfig : config::Section {
  config::RuntimeConfig runtime;
  config::LogConfig log;
  config::DistConfig dist;
  virtual DataConfig& data_section() = 0;
  virtual TrainConfig& train_section() = 0;
  const DataConfig& data_section() const { return const_cast<RunConfig*>(this)->data_section(); }
  const TrainConfig& train_section() const { return const_cast<RunConfig*>(this)->train_section(); }
};

// A stage's root config: its model section and its extensions of the engine's data / train
// sections (which must derive from DataConfig / TrainConfig). The stage adds describe().
template <typename ModelSection, typename DataSection, typename TrainSection>
struct StageConfig : RunConfig {
  ModelSection model;
  DataSection data;
  TrainSection train;
  DataConfig& data_section() override { return data; }
  TrainConfig& train_section() override { return train; }
  using RunConfig::data_section;
  using RunConfig::train_section;
};

}  // namespace setok::train
