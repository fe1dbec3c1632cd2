#!/usr/bin/env bash
# The paper's Table 5 in miniature: stage 1 on the built-in world (configs/setok_tiny.json, the
# demo's data and steps), once as configured and once per ablated part, then a Markdown table of
# the held-out results (PSNR, foreground ARI, phrase grounding, tokens-vs-objects r) in
# runs/ablate_stage1/table.md. Arms (each a fresh run in runs/ablate_stage1/<arm>/):
#   full         the tiny config as is
#   no_concept   without the concept contrastive loss (train.loss.concept = 0)
#   no_merger    without the merger's transformers (cluster means -> Linear)
#   column_max   the released parent distance instead of global_max
#   pooled       the concept loss in GroupViT's pooled form instead of the token form
#   tower_all    the vision tower learns from every loss (the config routes only reconstruction
#                into it)
# Usage: scripts/ablate_stage1.sh [--table] [ARM ...] [-- extra setok_train args, e.g. --set train.steps=500]
#   --table  only rebuild the table from the arms' saved summaries (runs/ablate_stage1/<arm>.summary)
# About six demo runs of time on 2 CPU cores (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
OUT=runs/ablate_stage1

declare -A ARMS=(
  [full]=""
  [no_concept]="--set train.loss.concept=0"
  [no_merger]="--set model.tokenizer.inner_depth=0 --set model.tokenizer.inter_depth=0"
  [column_max]="--set model.tokenizer.parent_distance=column_max"
  [pooled]="--set train.loss.concept_form=pooled"
  [tower_all]="--set train.tower_gradient=all"
)
ORDER=(full no_concept no_merger column_max pooled tower_all)

SELECTED=()
EXTRA=()
TABLE_ONLY=0
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; EXTRA=("$@"); break; fi
  if [ "$1" = "--table" ]; then TABLE_ONLY=1; shift; continue; fi
  if [ -z "${ARMS[$1]+x}" ]; then
    echo "ablate_stage1.sh: unknown arm '$1' (arms: ${ORDER[*]})" >&2
    exit 2
  fi
  SELECTED+=("$1")
  shift
done
[ ${#SELECTED[@]} -eq 0 ] && SELECTED=("${ORDER[@]}")

mkdir -p "$OUT"
[ "$TABLE_ONLY" -eq 0 ] && bash scripts/demo_data.sh

for arm in "${SELECTED[@]}"; do
  [ "$TABLE_ONLY" -eq 1 ] && break
  echo "== ablation arm: $arm ${ARMS[$arm]}"
  rm -rf "${OUT:?}/$arm"
  # shellcheck disable=SC2086  # the arm's overrides are a list of arguments
  "$BUILD/apps/setok_train" --config configs/setok_tiny.json --set "train.run_dir=$OUT/$arm" \
    --set train.sample_every=0 ${ARMS[$arm]} "${EXTRA[@]}" | tee "$OUT/$arm.summary"
done

# The table, from each arm's printed summary ("<metric> first -> last ..."), held-out set only.
after() {  # after FILE LABEL: the value after "->" on the summary line starting with LABEL
  awk -v label="$2" 'index($0, label) == 1 { for (i = 1; i <= NF; ++i) if ($i == "->") { print $(i + 1); exit } }' "$1"
}
before() {
  awk -v label="$2" 'index($0, label) == 1 { for (i = 1; i <= NF; ++i) if ($i == "->") { print $(i - 1); exit } }' "$1"
}
chance() {
  awk 'index($0, "grounding") == 1 { sub(/.*chance /, ""); sub(/\).*/, ""); print; exit }' "$1"
}
{
  echo "| arm | PSNR (dB) | FG-ARI (step 0 -> end) | grounding (chance) | tokens/image | tokens~objects r |"
  echo "|---|---|---|---|---|---|"
  for arm in "${SELECTED[@]}"; do
    f="$OUT/$arm.summary"
    echo "| $arm | $(after "$f" "PSNR") | $(before "$f" "foreground ARI") -> $(after "$f" "foreground ARI") | $(after "$f" "grounding") ($(chance "$f")) | $(after "$f" "tokens per image") | $(after "$f" "tokens~objects r") |"
  done
} | tee "$OUT/table.md"
echo "ablation table: $OUT/table.md"
