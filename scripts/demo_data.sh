#!/usr/bin/env bash
# The built-in world the demos train on, made once: builds setok if needed, then writes the
# synthetic scenes (data/shapes, 2,000 scenes of 64 px, seed 0) and a SentencePiece model of
# their text, unless they are already there. Run by demo.sh and ablate_stage1.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
DATA=data/shapes

if [ ! -x "$BUILD/apps/setok_train" ]; then bash scripts/setup.sh; fi
if [ ! -f "$DATA/train/pair.json" ]; then
  "$BUILD/apps/setok_data" shapes --out "$DATA" --num 2000 --seed 0 --image-size 64
fi
if [ ! -f "$DATA/spm/tokenizer.model" ]; then
  "$BUILD/apps/setok_data" spm --input "$DATA/text.txt" --out "$DATA/spm" --vocab-size 256
fi
