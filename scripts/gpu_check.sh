#!/usr/bin/env bash
# One-shot GPU checks for a session that has an accelerator (see ../shared/gpu/README.md):
# CUDA build with the LibTorch inside the machine's PyTorch wheel (OpenCV off: the machine has
# no OpenCV C++ library), the CUDA tests, the parity harness on the GPU, every stage trained
# briefly there, the GPU benchmarks and the test suite against LibTorch 2.x. Everything goes to $OUT
# (default /tmp/setok-gpu): gpu_check.log, ctest.log, cuda_tests.log, parity_cuda.log, one JSON
# file per benchmark, and stages/: short training runs of every stage on the GPU (bf16 autocast,
# TF32) with a demo-eval of the result (scripts/check_stages.sh).
#
#   OUT=/some/dir bash scripts/gpu_check.sh            # everything
#   SETOK_GPU_SKIP_TESTS=1 bash scripts/gpu_check.sh   # without ctest
#   SETOK_GPU_SKIP_TRAIN=1 bash scripts/gpu_check.sh   # without the training runs
#
# The machine has no `spm_train`: carry the demo world's SentencePiece model (data/shapes/spm,
# made here by scripts/demo_data.sh) with the run; the scenes themselves are drawn there (the
# OpenCV-free build writes PNG through its zlib codec).
#
# Each step runs even when an earlier one fails; the script's exit code is the build's. The
# device tool stops a command after 10 minutes, so the steps run most important first and each
# optional one is skipped (and says so) once SETOK_GPU_BUDGET_S seconds (default 540) have
# passed: the call always comes back with its logs. Order: build, CUDA tests, GPU parity, the
# stages on the GPU, the benchmarks, then ctest (fast suites first, the serial dist suite last).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/setok-gpu}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
start=$(date +%s)
step() { echo "== $(($(date +%s) - start)) s: $*"; }
BUDGET=${SETOK_GPU_BUDGET_S:-540}
# Seconds a step may still run (each long command runs under `timeout` with this), so that the
# whole script ends by about BUDGET + 40 s even when a step hangs.
remaining() {
  local r=$((BUDGET + 40 - ($(date +%s) - start)))
  echo $((r > 20 ? r : 20))
}
# True while time is left for an optional step; otherwise says what is skipped.
time_left() {
  if (($(date +%s) - start < BUDGET)); then return 0; fi
  echo "== $(($(date +%s) - start)) s: SKIPPED (over the ${BUDGET} s budget): $*"
  return 1
}

# cmake and ninja live in the PyTorch environment there.
PY_BIN=$(dirname "$(python3 -c 'import sys; print(sys.executable)')")
export PATH="$PATH:$PY_BIN"
TP=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') || {
  echo "gpu_check: no PyTorch (torch.utils.cmake_prefix_path) on this machine"
  exit 1
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'

step "configure + build (build-cuda)"
GEN=()
command -v ninja > /dev/null && GEN=(-G Ninja)
cmake -S . -B build-cuda "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TP" \
  -DSETOK_WITH_OPENCV=OFF -DSETOK_SANITIZE_FORMAT_TESTS=OFF || exit 1
cmake --build build-cuda -j "$(nproc)" || exit 1

step "CUDA tests: bf16 step vs fp32, resume with the device RNG, a 1-GPU NCCL world"
timeout "$(remaining)" build-cuda/tests/setok_unit_tests --gtest_filter='CudaTraining.*:ProcessGroup.*' \
  > "$OUT/cuda_tests.log" 2>&1
echo "CUDA tests exit code $?"
grep -E "^\[ +(OK|FAILED|SKIPPED) |Failure|Expected|Which is" "$OUT/cuda_tests.log" | head -30
if time_left "GPU parity"; then
  step "parity of the fixture models on the GPU (TF32 off)"
  SETOK_PARITY_DEVICE=cuda timeout "$(remaining)" build-cuda/tests/setok_parity_tests \
    --gtest_filter='Parity.*' \
    > "$OUT/parity_cuda.log" 2>&1
  echo "GPU parity exit code $?"
  grep -E "^parity |FAILED|Failure" "$OUT/parity_cuda.log" | head -30
fi

# Every stage trained briefly on the GPU, one process (a multi-process NCCL run needs a GPU per
# rank): the demo world's scenes, stage 1, stage 2, stage 3 from stage 2, then demo-eval there.
if [ "${SETOK_GPU_SKIP_TRAIN:-0}" != 1 ] && time_left "the stages on the GPU"; then
  step "train every stage on cuda (bf16 autocast, TF32): scripts/check_stages.sh"
  SETOK_BUILD_DIR=build-cuda timeout "$(remaining)" bash scripts/check_stages.sh --device cuda \
    --steps 200 \
    --out "$OUT/stages" -- --set runtime.tf32=true --set train.precision=bf16
  echo "check_stages exit code $?"
fi

B=build-cuda/apps
bench() {
  local name=$1
  shift
  time_left "bench $name" || return 0
  step "bench $name: $*"
  timeout "$(remaining)" "$B/setok_bench" "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.err" ||
    echo "bench $name failed: $(tail -3 "$OUT/$name.err")"
  cat "$OUT/$name.json"
}
# LLM: tiny (overheads) and TinyLlama-1.1B-shaped in bf16 (DESIGN §8: compare with PyTorch).
bench llm_tiny_cuda llm --config configs/llm_tiny.json --device cuda
bench llm_1b_cuda_bf16 llm --config configs/llm_1b.json --device cuda \
  --set model.llm.dtype=bfloat16 --batch 8 --seq 512 --prompt 128 --new-tokens 64
# Tokenizer: batched vs loop; the tower / clustering+merger split (DESIGN §8 target: <= 25 %).
bench tokenizer_tiny_cuda tokenizer --config configs/setok_tiny.json --device cuda --batch 8
bench tokenizer_b16_cuda tokenizer --device cuda --batch 16
# DiffLoss sampling at MAR's sizes.
bench diffloss_cuda diffloss --device cuda
# Setokim training steps, stage 2 and stage 3 (random weights; peak allocated memory per stage):
# the tiny config, and the Vicuna-7B shape with its bf16 LLM under bf16 autocast.
bench mllm_tiny_cuda mllm --config configs/setokim_tiny_pretrain.json --device cuda
bench mllm_7b_cuda_bf16 mllm --config configs/setokim_vicuna7b_finetune.json --device cuda \
  --batch 4 --text 448 --slots 64 --iters 3 --warmup 1
if [ "${SETOK_GPU_SKIP_TESTS:-0}" != 1 ] && time_left "ctest"; then
  step "ctest without the slow suites (CPU paths, built against LibTorch 2.x)"
  timeout "$(remaining)" ctest --test-dir build-cuda -j 12 -LE slow --output-on-failure \
    > "$OUT/ctest.log" 2>&1
  echo "ctest exit code $?; summary:"
  grep -E "tests passed|tests failed|Failed|\*\*\*" "$OUT/ctest.log" | head -40
  if time_left "ctest -L slow"; then
    step "ctest, the slow suites (multi-process training over Gloo, serial)"
    timeout "$(remaining)" ctest --test-dir build-cuda -L slow --output-on-failure \
      > "$OUT/ctest_slow.log" 2>&1
    echo "ctest -L slow exit code $?"
    grep -E "tests passed|tests failed|Failed|\*\*\*" "$OUT/ctest_slow.log" | head -20
  fi
fi
step "done"
