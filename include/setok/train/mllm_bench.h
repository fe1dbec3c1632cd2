#pragma once
// `setok_bench mllm`: Setokim training-step time and LLM tokens/s for the stage-2 trainable set
// (projectors + special rows + diffusion head over a frozen LLM) and the stage-3 one (LoRA +
// projectors + head), on random weights and synthetic sequences: each sample holds `text` text
// tokens and one output image of `slots` SeTok tokens (about 85 % hidden, as MAR's masking
// draws), so the step runs the LLM, the text loss, the diffusion head, backward and AdamW. bf16
// autocast on CUDA. Peak memory: the process's peak resident set on the CPU; on CUDA, the caching
// allocator's peak allocated bytes during each stage's steps (a CUDA build of LibTorch).
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "setok/io/json.h"
#include "setok/mllm/setokim_model.h"
#include "setok/nn/lora.h"

namespace setok::train {

struct MllmBenchOptions {
  int64_t batch = 4;
  int64_t text = 96;   // text tokens per sample
  int64_t slots = 32;  // output-image slots per sample
  int64_t iters = 3;
  int64_t warmup = 1;
  bool bf16 = false;     // autocast (CUDA)
  nn::LoraOptions lora;  // stage 3's adapters
};

struct MllmStageResult {
  std::string stage;  // "stage2" | "stage3"
  int64_t trainable = 0;
  double step_ms = 0;  // forward + backward + AdamW (median)
  double tokens_per_s = 0;
  double peak_allocated_gib = -1;  // CUDA: allocator peak over this stage's steps; -1 = unknown
};

struct MllmBenchResult {
  std::string device;
  MllmBenchOptions options;
  int64_t parameters = 0;
  std::vector<MllmStageResult> stages;
  double peak_rss_gib = 0;  // CPU runs
  io::Json to_json() const;
  std::string to_text() const;
};

// The model is changed (LoRA attached for stage 3).
MllmBenchResult bench_mllm(mllm::SetokimModel& model, const c10::Device& device,
                           const MllmBenchOptions& options);

// The process's peak resident set (VmHWM), in bytes; 0 where /proc is not there.
int64_t peak_rss_bytes();

}  // namespace setok::train
