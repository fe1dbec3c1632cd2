#!/usr/bin/env bash
# Setokim stage 2 at paper scale, mirroring the original pretrain_mm_proj.sh: one entry per
# dataset in the arrays below (DATASET_TYPE: pair, instruct or edit; the original trains on
# LLaVA-Instruct-150K); everything else comes from configs/setokim_vicuna7b_pretrain.json
# (Vicuna-7B v1.5, SigLIP-so400m SeTok from runs/setok_so400m, lr 1e-3, 32 per device, warmup 3 %,
# cosine, bf16, TF32, max length 2048, gradient checkpointing). Override with --set.
# Usage: [NPROC=N NNODES=M NODE_RANK=R MASTER=ADDR:PORT] scripts/pretrain_mm_proj.sh [--set key=value ...] [--resume] [--dry-run]
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

# Processes: NPROC per node (default 1), NNODES nodes; multi-node runs also set NODE_RANK and
# MASTER (ADDR:PORT of node 0). See docs/distributed.md.
LAUNCH_ARGS=(--nproc "${NPROC:-1}" --nnodes "${NNODES:-1}" --node-rank "${NODE_RANK:-0}"
             --master "${MASTER:-127.0.0.1:29500}")
exec bash scripts/launch.sh "${LAUNCH_ARGS[@]}" setok_pretrain --config configs/setokim_vicuna7b_pretrain.json \
  --set "data.train=[$DATASETS]" "$@"
