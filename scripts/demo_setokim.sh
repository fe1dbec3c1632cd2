#!/usr/bin/env bash
# Setokim on the demo world, end to end on a CPU:
#   synthetic scenes -> stage 1 (SeTok; reuses runs/setok_tiny when it has a checkpoint, else
#   trains it as demo.sh does, then continues a copy of it to SETOK_STAGE1_STEPS steps, 6000 by
#   default, in runs/setokim_tiny_setok: Setokim draws through SeTok's detokenizer, so its
#   pictures are only as readable as stage 1's; reused when already there)
#   -> stage 2 (setok_pretrain: captioning and generation on pairs)
#   -> stage 3 (setok_finetune: conversations, edits, pairs, LoRA) -> the demo evaluation on
#   held-out scenes (VQA against blind and majority baselines, captions, generated and edited
#   pictures) -> sheets of generations and edits.
# Extra arguments go to both setok_pretrain and setok_finetune (e.g. --set train.steps=100).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
STAGE1=runs/setok_tiny
SETOK=runs/setokim_tiny_setok
SETOK_STEPS="${SETOK_STAGE1_STEPS:-6000}"
PRE=runs/setokim_tiny_pretrain
FIN=runs/setokim_tiny_finetune

bash scripts/demo_data.sh

if [ ! -e "$STAGE1/checkpoints/latest" ]; then
  rm -rf "$STAGE1"
  "$BUILD/apps/setok_train" --config configs/setok_tiny.json --set "train.run_dir=$STAGE1"
fi

# (again when demo.sh has trained runs/setok_tiny anew since)
if [ ! -e "$SETOK/checkpoints/step_$SETOK_STEPS" ] || [ "$STAGE1/eval.json" -nt "$SETOK/eval.json" ]; then
  rm -rf "$SETOK"
  cp -r "$STAGE1" "$SETOK"
  "$BUILD/apps/setok_train" --config configs/setok_tiny.json --set "train.run_dir=$SETOK" \
    --set "train.steps=$SETOK_STEPS" --resume
fi

rm -rf "$PRE" "$FIN"
"$BUILD/apps/setok_pretrain" --config configs/setokim_tiny_pretrain.json \
  --set "train.run_dir=$PRE" --set "model.setok_checkpoint=$SETOK" "$@"
"$BUILD/apps/setok_finetune" --config configs/setokim_tiny_finetune.json \
  --set "train.run_dir=$FIN" --set "train.init_from=$PRE" --set "model.setok_checkpoint=$SETOK" "$@"
"$BUILD/apps/setok_infer" demo-eval --checkpoint "$FIN" --data data/shapes \
  --out "$FIN/demo_eval.json" --images "$FIN/demo_images" > /dev/null

cat <<MSG

Setokim demo finished. Where to look:
  $FIN/demo_eval.json       held-out VQA per question type (model, blind model, majority answer),
                            caption token-F1, generated pictures' object count and colours, edits'
                            PSNR and attribute (docs/inference.md)
  $FIN/demo_images/generation_sheet.png   rows of: the scene's render | its own tokens redrawn |
                                          the picture drawn from its caption
  $FIN/demo_images/edit_sheet.png         rows of: source | target | the edited picture
  $SETOK/eval.json          stage 1 continued: PSNR, and its reconstructions read back
                            (object count and colour set exact, %)
  $PRE/eval.json, $FIN/eval.json          held-out losses before and after each stage
  $PRE/curves.png, $FIN/curves.png        training curves
Ask it yourself: build/apps/setok_infer vqa | caption | generate | edit --checkpoint $FIN ...
  (bash scripts/check_vqa.sh: setok_infer vqa on 200 scenes of a world it never saw, per type)
MSG
