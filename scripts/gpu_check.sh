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
B=build-cuda/apps
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
# Keep going past a failing unit, so one call shows every compile error.
KEEP_GOING=()
[ ${#GEN[@]} -gt 0 ] && KEEP_GOING=(-- -k 0)
cmake --build build-cuda -j "$(nproc)" "${KEEP_GOING[@]}" || exit 1

# A backtrace of a crash, or of the first C++ exception thrown, through cuda-gdb (the machine has
# no gdb): LOG, then the command. Prints the frames.
backtrace() {
  local log=$1
  shift
  if ! command -v cuda-gdb > /dev/null; then
    echo "(no cuda-gdb for a backtrace)"
    return 0
  fi
  timeout 150 cuda-gdb -q -batch -ex 'set pagination off' -ex 'catch throw' -ex run -ex bt \
    --args "$@" > "$log" 2>&1
  grep -E "^#[0-9]+ |signal|what\(\)" "$log" | head -40
}

step "CUDA tests: bf16 step vs fp32, resume with the device RNG, a 1-GPU NCCL world"
# Each in its own process, so that a crash in one hides none of the others.
: > "$OUT/cuda_tests.log"
for t in ProcessGroup.NcclOneGpuWorld CudaTraining.Bf16AutocastStepMatchesFp32 \
  CudaTraining.ResumeContinuesTheDeviceRandomStream; do
  timeout "$(remaining)" build-cuda/tests/setok_unit_tests --gtest_filter="$t" \
    >> "$OUT/cuda_tests.log" 2>&1
  rc=$?
  echo "$t exit code $rc"
  if ((rc >= 128)) && time_left "a backtrace of $t"; then
    backtrace "$OUT/cuda_backtrace.log" build-cuda/tests/setok_unit_tests --gtest_filter="$t"
  fi
done
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
  rc=$?
  echo "check_stages exit code $rc"
  if ((rc != 0)) && grep -q "^setok_train: error" "$OUT/stages/train_stage1.log" 2> /dev/null &&
    time_left "a backtrace of stage 1"; then
    step "stage 1 failed: where the first exception is thrown (cuda-gdb, 2 steps)"
    backtrace "$OUT/stage1_backtrace.log" "$B/setok_train" --config configs/setok_tiny.json \
      --device cuda --set train.steps=2 --set train.eval_every=0 --set train.sample_every=0 \
      --set train.run_dir=/tmp/setok-gdb-run --set runtime.tf32=true --set train.precision=bf16
  fi
fi

bench() {
  local name=$1
  shift
  time_left "bench $name" || return 0
  step "bench $name: $*"
  # At most 150 s a bench: the 7B Setokim one spent 260 s without a result on 2026-12-04.
  local limit
  limit=$(remaining)
  ((limit > 150)) && limit=150
  timeout "$limit" "$B/setok_bench" "$@" --json > "$OUT/$name.json" 2> "$OUT/$name.err"
  local rc=$?
  ((rc == 124)) && echo "bench $name: stopped after $limit s"
  ((rc != 0 && rc != 124)) && echo "bench $name failed (exit $rc): $(tail -3 "$OUT/$name.err")"
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
