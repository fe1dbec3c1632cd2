#!/usr/bin/env bash
# Trains every stage briefly on the demo world and evaluates the result: stage 1, stage 2 from
# nothing, stage 3 from stage 2, then `setok_infer demo-eval` on 16 held-out scenes. A smoke run
# of the whole chain on one device; gpu_check.sh runs it on the GPU (bf16 autocast, TF32).
#
#   scripts/check_stages.sh [--device cuda] [--steps N] [--out DIR] [-- --set k=v ...]
#
# Environment: SETOK_BUILD_DIR (default build). Writes DIR/train_<stage>.log, the runs' metrics
# as DIR/train_<stage>.jsonl and DIR/demo_eval.json; the runs themselves go to DIR/runs and are
# removed at the end (KEEP_RUNS=1 keeps them). Prints each stage's first and last progress line.
# Exit code: the first failing stage's.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
DEVICE=cpu
STEPS=100
OUT=/tmp/setok-stages
while (($# > 0)); do
  case "$1" in
    --device) DEVICE="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "check_stages.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
done
mkdir -p "$OUT"
B="$BUILD/apps"
R="$OUT/runs"
rm -rf "$R"

if ! SETOK_BUILD_DIR="$BUILD" bash scripts/demo_data.sh > "$OUT/demo_data.log" 2>&1; then
  echo "check_stages: the demo world failed: $(tail -3 "$OUT/demo_data.log")"
  exit 1
fi

stage() {
  local name=$1
  shift
  echo "== $name: $*"
  "$@" > "$OUT/train_$name.log" 2>&1
  local rc=$?
  grep -E "^train +[0-9]+/" "$OUT/train_$name.log" | sed -n '1p;$p'
  grep -E "error" "$OUT/train_$name.log" | tail -3
  echo "$name exit code $rc"
  return $rc
}
COMMON=(--device "$DEVICE" --set train.eval_every="$STEPS" --set train.checkpoint_every="$STEPS"
  --set train.sample_every="$STEPS" --set train.steps="$STEPS" "$@")
stage stage1 "$B/setok_train" --config configs/setok_tiny.json "${COMMON[@]}" \
  --set "train.run_dir=$R/stage1" &&
  stage stage2 "$B/setok_pretrain" --config configs/setokim_tiny_pretrain.json "${COMMON[@]}" \
    --set "train.run_dir=$R/stage2" --set "model.setok_checkpoint=$R/stage1" &&
  stage stage3 "$B/setok_finetune" --config configs/setokim_tiny_finetune.json "${COMMON[@]}" \
    --set "train.run_dir=$R/stage3" --set "model.setok_checkpoint=$R/stage1" \
    --set "train.init_from=$R/stage2" &&
  stage demo_eval "$B/setok_infer" demo-eval --checkpoint "$R/stage3" --device "$DEVICE" \
    --data data/shapes --scenes 16 --out "$OUT/demo_eval.json"
rc=$?
for st in stage1 stage2 stage3; do
  [ -f "$R/$st/metrics.jsonl" ] && cp "$R/$st/metrics.jsonl" "$OUT/train_$st.jsonl"
done
[ -f "$OUT/demo_eval.json" ] && jq -c '{vqa: .vqa.single.count_and_colour, vqa_in_conversation: .vqa.conversation.count_and_colour, generation: .generation.count_exact, edit: .edit.psnr}' "$OUT/demo_eval.json" 2> /dev/null
[ "${KEEP_RUNS:-0}" = 1 ] || rm -rf "$R"
exit $rc
