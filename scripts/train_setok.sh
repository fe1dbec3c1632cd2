#!/usr/bin/env bash
# Stage 1 at paper scale, mirroring the original train_setok.sh: one entry per dataset in the
# arrays below; everything else comes from configs/setok_so400m.json (override with --set).
# Usage: [NPROC=N NNODES=M NODE_RANK=R MASTER=ADDR:PORT] scripts/train_setok.sh [--set key=value ...] [--resume]
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE_FOLDER=(
  "./data/cc3m/images"
)
DATA_PATH=(
  "./data/cc3m/cc3m.json"
)
DATASET_NAME=(
  "cc3m"
)
DATA_MULTIPLE=(
  1
)

DATASET_TYPE=(
  "pair"
)

# shellcheck source=scripts/dataset_arrays.sh
source scripts/dataset_arrays.sh
dataset_arrays_to_json

# Processes: NPROC per node (default 1), NNODES nodes; multi-node runs also set NODE_RANK and
# MASTER (ADDR:PORT of node 0). See docs/distributed.md.
LAUNCH_ARGS=(--nproc "${NPROC:-1}" --nnodes "${NNODES:-1}" --node-rank "${NODE_RANK:-0}"
             --master "${MASTER:-127.0.0.1:29500}")
exec bash scripts/launch.sh "${LAUNCH_ARGS[@]}" setok_train --config configs/setok_so400m.json \
  --set "data.train=[$DATASETS]" "$@"
