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

if [ "${#IMAGE_FOLDER[@]}" -ne "${#DATA_PATH[@]}" ] || [ "${#DATA_PATH[@]}" -ne "${#DATA_MULTIPLE[@]}" ] ||
   [ "${#DATA_PATH[@]}" -ne "${#DATASET_NAME[@]}" ]; then
  echo "train_setok.sh: IMAGE_FOLDER, DATA_PATH, DATASET_NAME and DATA_MULTIPLE need one entry per dataset" >&2
  exit 2
fi
DATASETS=""
for i in "${!DATA_PATH[@]}"; do
  [ -n "$DATASETS" ] && DATASETS+=","
  DATASETS+="{\"type\": \"pair\", \"path\": \"${DATA_PATH[$i]}\", \"image_root\": \"${IMAGE_FOLDER[$i]}\", \"multiple\": ${DATA_MULTIPLE[$i]}}"
  echo "dataset ${DATASET_NAME[$i]}: ${DATA_PATH[$i]} (images in ${IMAGE_FOLDER[$i]}, x${DATA_MULTIPLE[$i]})"
done

exec bash scripts/launch.sh setok_train --config configs/setok_so400m.json \
  --set "data.train=[$DATASETS]" "$@"
