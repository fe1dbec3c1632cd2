#!/usr/bin/env bash
# setok_bench tokenizer and llm under LibTorch 1.13 (build/, this machine) and LibTorch 2.6 (build-t2/,
# built OpenCV-free inside the trixie root of scripts/torch2_root.sh, as .ci/run builds it), the same
# machine, threads and shapes; prints one markdown table (docs/benchmarks.md, "LibTorch 1.13 vs 2.6").
#   bash scripts/bench_torch_versions.sh            # both builds must exist (setup.sh, .ci/run)
# Environment: THREADS (2), REPEATS (3: runs of each tiny bench, median of their medians),
# OUT (runs/bench_torch_versions). Needs root for the 2.6 half (chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
REPEATS="${REPEATS:-3}"
OUT="${OUT:-runs/bench_torch_versions}"

# name | subcommand and arguments (the shapes are the table's rows)
BENCHES=(
  "tokenizer_tiny|tokenizer --config configs/setok_tiny.json --batch 8 --iters 15 --warmup 3"
  "tokenizer_siglip_b|tokenizer --batch 8 --iters 3 --warmup 1"
  "llm_tiny|llm --config configs/llm_tiny.json --batch 4 --iters 10 --warmup 2"
  "llm_1b|llm --config configs/llm_1b.json --batch 1 --seq 128 --new-tokens 16 --iters 2 --warmup 1"
)

# Runs every bench with build folder $1, writing $OUT/$2/<name>_<k>.json.
run_all() {
  local build="$1" tag="$2"
  mkdir -p "$OUT/$tag"
  for entry in "${BENCHES[@]}"; do
    local name="${entry%%|*}" args="${entry#*|}" repeats="$REPEATS"
    [[ "$name" == *_tiny ]] || repeats=1
    for ((k = 1; k <= repeats; k++)); do
      echo "bench_torch_versions: $tag $name ($k/$repeats)" >&2
      # shellcheck disable=SC2086
      "$build/apps/setok_bench" --threads "$THREADS" --log-level warn $args --json \
        >"$OUT/$tag/${name}_$k.json"
    done
  done
}

# Median of one metric over a bench's repeats.
median() {  # tag name jq-path
  jq -s "[.[] | $3] | sort | .[(length / 2 | floor)]" "$OUT/$1/$2"_*.json
}

row() {  # label name jq-path unit
  local a b
  a=$(median torch113 "$2" "$3")
  b=$(median torch26 "$2" "$3")
  awk -v l="$1" -v a="$a" -v b="$b" -v u="$4" \
    'BEGIN { printf "| %s | %.1f | %.1f | %.2fx |\n", l " (" u ")", a, b, b / a }'
}

table() {
  echo "| bench | LibTorch 1.13.1 | LibTorch 2.6.0 | 2.6 / 1.13 |"
  echo "|---|---|---|---|"
  row "tokenizer, setok_tiny, batch 8: batched" tokenizer_tiny .batched.images_per_s "images/s"
  row "tokenizer, setok_tiny: tower" tokenizer_tiny .batched.tower_ms "ms"
  row "tokenizer, setok_tiny: cluster + merge" tokenizer_tiny .batched.cluster_merge_ms "ms"
  row "tokenizer, SigLIP-B/16 size, batch 8: batched" tokenizer_siglip_b .batched.images_per_s "images/s"
  row "tokenizer, SigLIP-B/16 size: tower" tokenizer_siglip_b .batched.tower_ms "ms"
  row "tokenizer, SigLIP-B/16 size: cluster + merge" tokenizer_siglip_b .batched.cluster_merge_ms "ms"
  row "llm_tiny, batch 4 x 128: train step" llm_tiny .train_tokens_per_s "tokens/s"
  row "llm_tiny: KV-cache decode" llm_tiny .decode_tokens_per_s "tokens/s"
  row "llm_1b, batch 1 x 128: train step" llm_1b .train_tokens_per_s "tokens/s"
  row "llm_1b: KV-cache decode" llm_1b .decode_tokens_per_s "tokens/s"
}

case "${1:-}" in
  --in-root) run_all build-t2 torch26; exit 0 ;;  # the 2.6 half, inside the trixie root
  --table) table; exit 0 ;;  # from the results already in $OUT
esac
[ -x build/apps/setok_bench ] || { echo "bench_torch_versions: no build/apps/setok_bench (bash scripts/setup.sh)" >&2; exit 1; }
[ -x build-t2/apps/setok_bench ] || { echo "bench_torch_versions: no build-t2/apps/setok_bench (.ci/run's 2.6 lane builds it)" >&2; exit 1; }
rm -rf "$OUT"
run_all build torch113
# The trixie root sees this repository at /src.
bash scripts/torch2_root.sh "cd /src && THREADS=$THREADS REPEATS=$REPEATS OUT=$OUT \
  bash scripts/bench_torch_versions.sh --in-root"
table
