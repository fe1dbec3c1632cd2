#!/usr/bin/env bash
# The built-in demo, end to end on a CPU (a few minutes on 2 cores):
#   synthetic scenes -> SentencePiece model of their text -> train SeTok (configs/setok_tiny.json)
#   -> evaluate on held-out scenes -> tokenize a few held-out images into cluster maps.
# Extra arguments go to setok_train (e.g. --set train.steps=500 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
RUN=runs/setok_tiny

bash scripts/demo_data.sh

rm -rf "$RUN"
"$BUILD/apps/setok_train" --config configs/setok_tiny.json --set "train.run_dir=$RUN" "$@"

mapfile -t HELDOUT < <(ls data/shapes/images/heldout/*.png | head -n 8)
"$BUILD/apps/setok_infer" tokenize --config configs/setok_tiny.json --checkpoint "$RUN" \
  --images "${HELDOUT[@]}" --out "$RUN/tokenize"

cat <<MSG

demo finished. Where to look:
  $RUN/eval.json            held-out metrics before ("first") and after ("last") training:
                            loss, PSNR, tokens vs objects per image (Pearson r), foreground ARI
                            of the clusters against the instance masks, phrase grounding and
                            retrieval with their chance levels
  $RUN/curves.png           every training and evaluation curve in one picture
  $RUN/tensorboard/         the same for TensorBoard (tensorboard --logdir runs/)
  $RUN/metrics.jsonl        every loss term, lr, grad norm, images/s, data-wait fraction
  $RUN/samples/step_N.png   rows of: input | reconstruction | cluster map (centres = white dots)
  $RUN/tokenize/            tokens.jsonl + overlays/*.png for 8 held-out images
  $RUN/checkpoints/         resumable checkpoints (setok_train ... --resume)
MSG
