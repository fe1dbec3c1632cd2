#!/usr/bin/env bash
# VQA as a user asks it: one question per request line through `setok_infer vqa` with its default
# flags, on the scenes of a world, scored per question type (exact match after lowercasing and
# trimming spaces and full stops, as demo-eval scores) beside the majority answer per type of the
# world the run was trained on.
#
#   scripts/check_vqa.sh [--run DIR] [--seed N --scenes N | --world DIR --split S --scenes N]
#                        [--train-world DIR] [--out DIR]
#
#   --run DIR          the Setokim run (default runs/setokim_tiny_finetune)
#   --seed N           draw a new world with this seed (default 4242, a seed no demo uses; its
#                      scenes are new draws, though a small world can repeat a simple scene) ...
#   --scenes N         ... of N scenes (default 200), every question of each scene's conversation
#   --world DIR        or use an existing world's split (e.g. data/shapes --split heldout: the
#   --split S          questions demo-eval asks, to compare with its `vqa.single` numbers)
#   --train-world DIR  the world whose training split gives the majority answers (data/shapes)
#   --out DIR          where the list, the answers and vqa_check.json go (default /tmp/setok-vqa)
#
# Environment: SETOK_BUILD_DIR (default build). Prints a table and writes OUT/vqa_check.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
RUN=runs/setokim_tiny_finetune
SEED=4242
SCENES=200
WORLD=""
SPLIT=train
TRAIN_WORLD=data/shapes
OUT=/tmp/setok-vqa
SEED_GIVEN=0
while (($# > 0)); do
  case "$1" in
    --run) RUN="$2"; shift 2 ;;
    --seed) SEED="$2"; SEED_GIVEN=1; shift 2 ;;
    --scenes) SCENES="$2"; shift 2 ;;
    --world) WORLD="$2"; shift 2 ;;
    --split) SPLIT="$2"; shift 2 ;;
    --train-world) TRAIN_WORLD="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "check_vqa.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
done
if [ -n "$WORLD" ] && ((SEED_GIVEN)); then
  echo "check_vqa.sh: --seed draws a new world; --world uses an existing one: give one of them" >&2
  exit 1
fi
command -v jq > /dev/null || { echo "check_vqa.sh: needs jq (scripts/setup.sh installs it)" >&2; exit 1; }
[ -f "$TRAIN_WORLD/train/instruct.json" ] ||
  { echo "check_vqa.sh: $TRAIN_WORLD/train/instruct.json: no such file (--train-world)" >&2; exit 1; }
mkdir -p "$OUT"
if [ -z "$WORLD" ]; then
  WORLD="$OUT/world"
  rm -rf "$WORLD"
  "$BUILD/apps/setok_data" shapes --out "$WORLD" --num "$SCENES" --seed "$SEED" --image-size 64 \
    --heldout 0 > "$OUT/world.log" 2>&1 || { tail -3 "$OUT/world.log" >&2; exit 1; }
  SPLIT=train
fi
[ -f "$WORLD/$SPLIT/instruct.json" ] ||
  { echo "check_vqa.sh: $WORLD/$SPLIT/instruct.json: no such file" >&2; exit 1; }

# Every question of the first N scenes' conversations, one request a line (the truth rides along:
# the request reader ignores fields it does not use).
jq -c --argjson n "$SCENES" '
  [.[] | select(.id | tostring | endswith("-single") | not)][:$n][] as $r
  | range(0; ($r.conversations | length) - 1; 2) as $t
  | {id: "\($r.id)-\($t / 2)", image: $r.image,
     question: ($r.conversations[$t].value | sub("^<image>\n"; "")),
     truth: $r.conversations[$t + 1].value}' "$WORLD/$SPLIT/instruct.json" > "$OUT/list.jsonl"
rm -rf "$OUT/answers"
# Exit code 1 when some request failed: those are scored as failed, the rest as answered.
rc=0
"$BUILD/apps/setok_infer" vqa --checkpoint "$RUN" --list "$OUT/list.jsonl" --image-root "$WORLD" \
  --out "$OUT/answers" 2> "$OUT/vqa.log" | tee "$OUT/summary.txt" || rc=$?
[ -f "$OUT/answers/results.jsonl" ] || { tail -3 "$OUT/vqa.log" >&2; exit 1; }

jq -n --slurpfile list "$OUT/list.jsonl" --slurpfile got "$OUT/answers/results.jsonl" \
  --slurpfile train "$TRAIN_WORLD/train/instruct.json" '
  def norm: ascii_downcase | sub("^[ \t\n.]+"; "") | sub("[ \t\n.]+$"; "");
  def kind: if startswith("How many") then "count" elif startswith("What color") then "colour"
            elif startswith("Where is") then "position" else "other" end;
  # The most frequent answer per type in the training world (ties: the alphabetically first).
  ([$train[0][] | .conversations as $c | range(0; ($c | length) - 1; 2)
    | {type: ($c[.].value | sub("^<image>\n"; "") | kind), answer: ($c[. + 1].value | norm)}]
   | group_by(.type) | map({key: .[0].type,
       value: (group_by(.answer) | map({a: .[0].answer, n: length})
               | sort_by(-.n, .a) | .[0].a)}) | from_entries) as $majority
  | ($got | map({key: (.id | tostring), value: .answer}) | from_entries) as $answers
  # A failed request (no result) is wrong and counted as failed, not as an empty answer.
  | [$list[] | {type: (.question | kind), truth: (.truth | norm),
                predicted: ($answers[.id | tostring] | if . == null then null else norm end)}]
  | group_by(.type) | map({key: .[0].type, value: {
      questions: length,
      model: (100 * (map(select(.predicted == .truth)) | length) / length),
      majority: (100 * (map(select(.truth == ($majority[.type] // ""))) | length) / length),
      majority_answer: ($majority[.[0].type] // ""),
      empty_answers: (map(select(.predicted == "")) | length),
      failed: (map(select(.predicted == null)) | length)}}) | from_entries' \
  > "$OUT/vqa_check.json"

echo "| type | questions | setok_infer vqa | majority answer | model - majority | empty | failed |"
echo "|---|---|---|---|---|---|---|"
jq -r 'to_entries[] | "| \(.key) | \(.value.questions) | \(.value.model * 10 | round / 10) % |" +
  " \(.value.majority * 10 | round / 10) % (\(.value.majority_answer)) |" +
  " \((.value.model - .value.majority) * 10 | round / 10) | \(.value.empty_answers) |" +
  " \(.value.failed) |"' "$OUT/vqa_check.json"
echo "(run $RUN; world $WORLD/$SPLIT; details in $OUT/vqa_check.json)"
exit $rc
