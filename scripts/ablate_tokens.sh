#!/usr/bin/env bash
# The paper's Table 4 in miniature: does an LLM read and write the demo world better through a
# few object-level tokens (SeTok's dynamic clusters) than through a fixed grid of patches?
# Every arm runs the same recipe on the same data and steps — stage 1 (configs/setok_tiny.json)
# with its own tokenizer mode, then stage 2 (configs/setokim_tiny_pretrain.json) and stage 3
# (configs/setokim_tiny_finetune.json) on that stage 1, then `setok_infer demo-eval` — and a
# Markdown table of the held-out results lands in runs/ablate_tokens/table.md. Arms (each in
# runs/ablate_tokens/<arm>/{stage1,pretrain,finetune}):
#   dynamic   SeTok as configured: DPC-KNN clusters (the demo's setup)
#   fixed64   an 8 x 8 grid of cells over the 16 x 16 patches: 64 tokens per image
#   fixed16   a 4 x 4 grid: 16 tokens
#   fixed4    a 2 x 2 grid: 4 tokens
# Nothing is tuned per arm; only the tokenizer mode differs.
# Usage: scripts/ablate_tokens.sh [--table] [--keep-stage1] [ARM ...] [-- extra args for every
#        trainer, e.g. --set train.steps=100]
#   --table        only rebuild the table from the arms' saved results
#   --keep-stage1  reuse an arm's stage-1 run when it has a checkpoint (else it is retrained)
# About 18 minutes per arm on 2 idle CPU cores with `-- --set train.steps=1000` (every stage 1,000
# steps), about 2.5x that at the configs' own steps (docs/benchmarks.md has the table).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
OUT=runs/ablate_tokens

declare -A ARMS=(
  [dynamic]="--set model.tokenizer.mode=dynamic"
  [fixed64]="--set model.tokenizer.mode=fixed --set model.tokenizer.grid=8"
  [fixed16]="--set model.tokenizer.mode=fixed --set model.tokenizer.grid=4"
  [fixed4]="--set model.tokenizer.mode=fixed --set model.tokenizer.grid=2"
)
ORDER=(dynamic fixed64 fixed16 fixed4)

SELECTED=()
EXTRA=()
TABLE_ONLY=0
KEEP_STAGE1=0
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; EXTRA=("$@"); break ;;
    --table) TABLE_ONLY=1; shift; continue ;;
    --keep-stage1) KEEP_STAGE1=1; shift; continue ;;
  esac
  if [ -z "${ARMS[$1]+x}" ]; then
    echo "ablate_tokens.sh: unknown arm '$1' (arms: ${ORDER[*]})" >&2
    exit 2
  fi
  SELECTED+=("$1")
  shift
done
[ ${#SELECTED[@]} -eq 0 ] && SELECTED=("${ORDER[@]}")
command -v jq > /dev/null || { echo "ablate_tokens.sh: needs jq (scripts/setup.sh installs it)" >&2; exit 2; }

# timed NAME STEPS COMMAND...: runs COMMAND, appends "NAME seconds steps" to the arm's times file.
timed() {
  local name=$1 steps=$2
  shift 2
  local t0
  t0=$(date +%s.%N)
  "$@"
  echo "$name $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') $steps" >> "$DIR/times"
}
steps_of() {  # steps_of RUN_DIR: the steps the run was resolved with
  jq -r '.train.steps' "$1/config.resolved.json"
}

mkdir -p "$OUT"
[ "$TABLE_ONLY" -eq 0 ] && bash scripts/demo_data.sh

for arm in "${SELECTED[@]}"; do
  [ "$TABLE_ONLY" -eq 1 ] && break
  echo "== token ablation arm: $arm ${ARMS[$arm]}"
  DIR="$OUT/$arm"
  read -r -a MODE <<< "${ARMS[$arm]}"
  if [ "$KEEP_STAGE1" -eq 1 ] && [ -e "$DIR/stage1/checkpoints/latest" ]; then
    echo "== $arm: reusing $DIR/stage1"
    rm -rf "$DIR/pretrain" "$DIR/finetune"
    grep '^stage1 ' "$DIR/times" > "$DIR/times.keep" || true
    mv "$DIR/times.keep" "$DIR/times"
  else
    rm -rf "$DIR"
    mkdir -p "$DIR"
    timed stage1 0 "$BUILD/apps/setok_train" --config configs/setok_tiny.json \
      --set "train.run_dir=$DIR/stage1" --set train.sample_every=0 "${MODE[@]}" "${EXTRA[@]}"
  fi
  timed pretrain 0 "$BUILD/apps/setok_pretrain" --config configs/setokim_tiny_pretrain.json \
    --set "train.run_dir=$DIR/pretrain" --set "model.setok_checkpoint=$DIR/stage1" \
    "${MODE[@]}" "${EXTRA[@]}"
  timed finetune 0 "$BUILD/apps/setok_finetune" --config configs/setokim_tiny_finetune.json \
    --set "train.run_dir=$DIR/finetune" --set "model.setok_checkpoint=$DIR/stage1" \
    --set "train.init_from=$DIR/pretrain" "${MODE[@]}" "${EXTRA[@]}"
  "$BUILD/apps/setok_infer" demo-eval --checkpoint "$DIR/finetune" --data data/shapes \
    --out "$DIR/demo_eval.json" --images "$DIR/demo_images" > /dev/null
  # The steps each stage ran, now that their resolved configs exist.
  awk -v s1="$(steps_of "$DIR/stage1")" -v s2="$(steps_of "$DIR/pretrain")" \
    -v s3="$(steps_of "$DIR/finetune")" \
    '{ $3 = ($1 == "stage1" ? s1 : $1 == "pretrain" ? s2 : s3); print }' "$DIR/times" > "$DIR/times.tmp"
  mv "$DIR/times.tmp" "$DIR/times"
done

# The table, from each arm's demo_eval.json, stage-1 eval.json and times.
num() { printf "%.1f" "$1"; }
{
  echo "| arm | tokens / image (read; drawn) | VQA (one question a request) count | colour | position | count+colour (blind) | generation count / colour set (own tokens redrawn) | edit attribute (PSNR) | s / step: stage 1, 2, 3 (fastest interval) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for arm in "${SELECTED[@]}"; do
    DIR="$OUT/$arm"
    E="$DIR/demo_eval.json"
    read_tokens=$(jq '.evaluations[-1] | [.[] | objects | .tokens_per_image // empty] | first' "$DIR/stage1/eval.json")
    # Seconds per step in the run's fastest logged interval (metrics.jsonl steps_per_s; stage-1
    # runs from before that field: batch / images_per_s), so work sharing the cores for a while
    # does not count; "w" marks the wall-clock fallback (stage time / steps, evaluations in).
    per_step() {
      local run="$DIR/$1" batch best
      batch=$(jq '.train.batch_size' "$run/config.resolved.json")
      best=$(jq -s --argjson b "$batch" '[.[] | .steps_per_s // (if .images_per_s then .images_per_s / $b else empty end)] | max // empty' "$run/metrics.jsonl")
      if [ -n "$best" ]; then
        awk -v r="$best" 'BEGIN { printf "%.3f", 1 / r }'
      else
        awk -v n="$1" '$1 == n { printf "%.3f w", $2 / $3 }' "$DIR/times"
      fi
    }
    echo "| $arm | $(num "$read_tokens"); $(num "$(jq '.generation.tokens_per_image' "$E")") |" \
      "$(num "$(jq '.vqa.single.model.count // 0' "$E")") | $(num "$(jq '.vqa.single.model.colour // 0' "$E")") |" \
      "$(num "$(jq '.vqa.single.model.position // 0' "$E")") |" \
      "$(num "$(jq '.vqa.single.count_and_colour.model' "$E")") ($(num "$(jq '.vqa.single.count_and_colour.blind' "$E")")) |" \
      "$(num "$(jq '.generation.count_exact' "$E")") / $(num "$(jq '.generation.colour_set_exact' "$E")")" \
      "($(num "$(jq '.generation.reconstruction.count_exact' "$E")") / $(num "$(jq '.generation.reconstruction.colour_set_exact' "$E")")) |" \
      "$(num "$(jq '.edit.attribute_right' "$E")") ($(num "$(jq '.edit.psnr' "$E")") dB) |" \
      "$(per_step stage1), $(per_step pretrain), $(per_step finetune) |"
  done
} | tee "$OUT/table.md"
echo "token ablation table: $OUT/table.md"
