#!/usr/bin/env bash
# What data parallelism costs and buys on this machine (docs/benchmarks.md):
#   1. all-reduce bandwidth at NPROC_MAX ranks by message size (setok_bench dist);
#   2. the tiny stage 1 (configs/setok_tiny.json) and the tiny Setokim stage 3
#      (configs/setokim_tiny_finetune.json, random SeTok and LLM) trained for STEPS steps on each
#      process count in NPROCS, the same batch per process: step time and samples/s of the whole
#      world, from the runs' metrics.jsonl (the first logged interval, which holds start-up, left
#      out).
# Environment: NPROCS ("1 2"), STEPS (40), OUT (runs/bench_dist), PORT (29517); extra arguments
# go to every training run (e.g. --set train.batch_size=8).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
NPROCS="${NPROCS:-1 2}"
STEPS="${STEPS:-40}"
OUT="${OUT:-runs/bench_dist}"
PORT="${PORT:-29517}"
NPROC_MAX=$(echo "$NPROCS" | tr ' ' '\n' | sort -n | tail -1)

bash scripts/demo_data.sh
rm -rf "$OUT"
mkdir -p "$OUT"

if ((NPROC_MAX > 1)); then
  bash scripts/launch.sh --nproc "$NPROC_MAX" --master "127.0.0.1:$PORT" setok_bench dist \
    | tee "$OUT/all_reduce.txt"
fi

# Median over the logged intervals after the first of a run: "steps_per_s".
steps_per_s() {
  jq -s '[.[1:][] | .steps_per_s] | sort | if length == 0 then null
         else .[(length / 2 | floor)] end' "$1/metrics.jsonl"
}

COMMON=(--set "train.steps=$STEPS" --set train.eval_every=0 --set train.eval_batches=1
        --set "train.checkpoint_every=$STEPS" --set train.sample_every=0 --set log.every=5
        --set log.tensorboard=false --set dist.timeout_s=120)
declare -A CONFIG=([stage1]=configs/setok_tiny.json [setokim]=configs/setokim_tiny_finetune.json)
declare -A APP=([stage1]=setok_train [setokim]=setok_finetune)
declare -A EXTRA=([stage1]="" [setokim]="--set model.setok_checkpoint= --set train.init_from=")

printf '\n%-8s %6s %8s %12s %12s %14s\n' recipe procs batch "ms/step" "samples/s" "vs 1 process" \
  | tee "$OUT/steps.txt"
for recipe in stage1 setokim; do
  base=""
  for n in $NPROCS; do
    run="$OUT/${recipe}_x$n"
    # shellcheck disable=SC2086  # EXTRA holds separate --set arguments
    bash scripts/launch.sh --nproc "$n" --master "127.0.0.1:$PORT" "${APP[$recipe]}" \
      --config "${CONFIG[$recipe]}" --set "train.run_dir=$run" "${COMMON[@]}" \
      ${EXTRA[$recipe]} "$@" > "$run.log" 2>&1 || { echo "bench_dist: $run failed, see $run.log"; exit 1; }
    batch=$(jq '.train.batch_size' "$run/config.resolved.json")
    sps=$(steps_per_s "$run")
    if [ "$sps" = null ]; then
      echo "bench_dist: $run/metrics.jsonl has fewer than 2 logged intervals; raise STEPS (>= 10)" >&2
      exit 1
    fi
    per_sample=$(jq -n "$sps * $batch * $n")
    if [ -z "$base" ]; then base="$per_sample"; fi
    printf '%-8s %6d %8d %12.1f %12.1f %13.2fx\n' "$recipe" "$n" "$batch" \
      "$(jq -n "1000 / $sps")" "$per_sample" "$(jq -n "$per_sample / $base")" | tee -a "$OUT/steps.txt"
  done
done
echo "bench_dist: results in $OUT/ (all_reduce.txt, steps.txt, one run folder per row)"
