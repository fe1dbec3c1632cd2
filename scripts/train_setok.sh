#!/usr/bin/env bash
# Stage 1 at paper scale, mirroring the original train_setok.sh: one entry per dataset in the
# arrays below; everything else comes from configs/setok_so400m.json (override with --set).
# Usage: scripts/train_setok.sh [--set key=value ...] [--resume]
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

exec bash scripts/launch.sh setok_train --config configs/setok_so400m.json \
  --set "data.train=[$DATASETS]" "$@"
