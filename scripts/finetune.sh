#!/usr/bin/env bash
# Setokim stage 3 at paper scale, mirroring the original finetune.sh: LoRA r 128 / alpha 256 on
# the LLM, mm_projector_lr 2e-5, starting from the stage-2 run (train.init_from); everything else
# from configs/setokim_vicuna7b_finetune.json. The mixture is the original's: ALLaVA, LLaVA-150K
# (PandaGPT's conversations) and VQAv2, OK-VQA, A-OKVQA, GQA, all in their publishers' layouts
# (docs/data.md: each VQA question a short-answer conversation; ALLaVA's release file instead of
# the original's own preprocessed copy, which ALLaVA's release does not include).
# Usage: [NPROC=N NNODES=M NODE_RANK=R MASTER=ADDR:PORT] scripts/finetune.sh [--set key=value ...] [--resume] [--dry-run]
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE_FOLDER=(
  "./data/ALLaVA-4V/"
  "./data/llava-150k/images"
  "./data/coco/train2014"
  "./data/coco/train2014"
  "./data/coco/train2017"
  "./data/gqa/images"
)
DATA_PATH=(
  "./data/ALLaVA-4V/allava_laion/ALLaVA-Instruct-LAION-4V.json"
  "./data/llava-150k/pandagpt4_visual_instruction_data.json"
  "./data/vqav2/v2_OpenEnded_mscoco_train2014_questions.json"
  "./data/okvqa/OpenEnded_mscoco_train2014_questions.json"
  "./data/aokvqa/aokvqa_v1p0_train.json"
  "./data/gqa/train_balanced_questions.json"
)
DATA_MULTIPLE=(
  1
  1
  1
  1
  1
  1
)
DATASET_NAME=(
  "ALLaVA-Instruct-LAION-4V"
  "LLaVA150K"
  "VQAv2"
  "OKVQA"
  "AOKVQA"
  "GQA"
)
DATASET_TYPE=(
  "allava"
  "pandagpt"
  "vqav2"
  "okvqa"
  "aokvqa"
  "gqa"
)
DATASET_ANNOTATIONS=(
  ""
  ""
  "./data/vqav2/v2_mscoco_train2014_annotations.json"
  "./data/okvqa/mscoco_train2014_annotations.json"
  ""
  ""
)

# shellcheck source=scripts/dataset_arrays.sh
source scripts/dataset_arrays.sh
dataset_arrays_to_json

# Processes: NPROC per node (default 1), NNODES nodes; multi-node runs also set NODE_RANK and
# MASTER (ADDR:PORT of node 0). See docs/distributed.md.
LAUNCH_ARGS=(--nproc "${NPROC:-1}" --nnodes "${NNODES:-1}" --node-rank "${NODE_RANK:-0}"
             --master "${MASTER:-127.0.0.1:29500}")
exec bash scripts/launch.sh "${LAUNCH_ARGS[@]}" setok_finetune --config configs/setokim_vicuna7b_finetune.json \
  --set "data.train=[$DATASETS]" "$@"
