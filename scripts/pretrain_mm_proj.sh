#!/usr/bin/env bash
# Setokim stage 2 at paper scale, mirroring the original pretrain_mm_proj.sh: one entry per
# dataset in the arrays below (DATASET_TYPE: pair, instruct or edit; the original trains on
# LLaVA-Instruct-150K); everything else comes from configs/setokim_vicuna7b_pretrain.json
# (Vicuna-7B v1.5, SigLIP-so400m SeTok from runs/setok_so400m, lr 1e-3, 32 per device, warmup 3 %,
# cosine, bf16, TF32, max length 2048, gradient checkpointing). Override with --set.
# Usage: scripts/pretrain_mm_proj.sh [--set key=value ...] [--resume] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE_FOLDER=(
  "./data/LLaVA-Instruct-150K/images"
)
DATA_PATH=(
  "./data/LLaVA-Instruct-150K/llava_instruct_150k.json"
)
DATA_MULTIPLE=(
  1
)
DATASET_NAME=(
  "LLaVA150K"
)
DATASET_TYPE=(
  "instruct"
)

# shellcheck source=scripts/dataset_arrays.sh
source scripts/dataset_arrays.sh
dataset_arrays_to_json

exec bash scripts/launch.sh setok_pretrain --config configs/setokim_vicuna7b_pretrain.json \
  --set "data.train=[$DATASETS]" "$@"
