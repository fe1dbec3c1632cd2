#!/usr/bin/env bash
# Setokim stage 3 at paper scale, mirroring the original finetune.sh: LoRA r 128 / alpha 256 on
# the LLM, mm_projector_lr 2e-5, starting from the stage-2 run (train.init_from); everything else
# from configs/setokim_vicuna7b_finetune.json. The original mixture also names VQAv2, OK-VQA,
# A-OKVQA and GQA: add them here once converted to LLaVA conversations (their readers are the
# real-datasets issue).
# Usage: scripts/finetune.sh [--set key=value ...] [--resume] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE_FOLDER=(
  "./data/ALLaVA-4V/"
  "./data/llava-150k/images"
)
DATA_PATH=(
  "./data/ALLaVA-4V/allava_laion/ALLaVA-Instruct-LAION-4V_preprocessed.json"
  "./data/llava-150k/pandagpt4_visual_instruction_data.json"
)
DATA_MULTIPLE=(
  1
  1
)
DATASET_NAME=(
  "ALLaVA-Instruct-LAION-4V"
  "LLaVA150K"
)
DATASET_TYPE=(
  "instruct"
  "instruct"
)

# shellcheck source=scripts/dataset_arrays.sh
source scripts/dataset_arrays.sh
dataset_arrays_to_json

exec bash scripts/launch.sh setok_finetune --config configs/setokim_vicuna7b_finetune.json \
  --set "data.train=[$DATASETS]" "$@"
