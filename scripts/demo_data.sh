#!/usr/bin/env bash
# The built-in world the demos train on, made once: builds setok if needed, then writes the
# synthetic scenes (data/shapes, 2,000 scenes of 64 px, seed 0) and a SentencePiece model of
# their text, unless they are already there. Run by demo.sh and ablate_stage1.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
DATA=data/shapes

if [ ! -x "$BUILD/apps/setok_train" ]; then bash scripts/setup.sh; fi
# A world written before the single-question instruct records (one question per scene asked
# alone) is written again: the scenes come out the same, instruct.json gains those records.
if [ -f "$DATA/train/instruct.json" ] && ! grep -q -- '-single"' "$DATA/train/instruct.json"; then
  echo "demo_data: $DATA predates the single-question records; writing it again"
  rm -f "$DATA/train/pair.json"
fi
if [ ! -f "$DATA/train/pair.json" ]; then
  "$BUILD/apps/setok_data" shapes --out "$DATA" --num 2000 --seed 0 --image-size 64
fi
if [ ! -f "$DATA/spm/tokenizer.model" ]; then
  "$BUILD/apps/setok_data" spm --input "$DATA/text.txt" --out "$DATA/spm" --vocab-size 256
fi
