#!/usr/bin/env bash
# Starts a setok binary as the local ranks of a data-parallel run (docs/distributed.md).
#
#   scripts/launch.sh [--nproc N] [--nnodes M --node-rank R --master ADDR:PORT] [--grace S]
#                     BINARY [ARGS...]
#
# Each local rank gets torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
# MASTER_ADDR, MASTER_PORT), so the same binaries also run under `torchrun --no-python` and
# `srun`. BINARY is a name in build/apps (setok_train, setok_pretrain, setok_finetune) or a path.
# When a rank fails, the others get --grace seconds (default 10) to stop on their own (they see
# the failure in their next collective), then SIGTERM; the script exits with that rank's code
# and says which rank it was. Ctrl-C / SIGTERM reach every rank.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

NPROC=1
NNODES=1
NODE_RANK=0
MASTER="${MASTER_ADDR:-127.0.0.1}:${MASTER_PORT:-29500}"
GRACE=10
while (($# > 0)); do
  case "$1" in
    --nproc) NPROC="$2"; shift 2 ;;
    --nnodes) NNODES="$2"; shift 2 ;;
    --node-rank) NODE_RANK="$2"; shift 2 ;;
    --master) MASTER="$2"; shift 2 ;;
    --grace) GRACE="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) echo "launch.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) break ;;
  esac
done
if (($# == 0)); then
  echo "launch.sh: no binary given (see --help)" >&2
  exit 1
fi
for v in NPROC NNODES NODE_RANK GRACE; do
  if ! [[ "${!v}" =~ ^[0-9]+$ ]]; then
    echo "launch.sh: --$(echo "$v" | tr 'A-Z_' 'a-z-') must be a non-negative integer, got '${!v}'" >&2
    exit 1
  fi
done
if ((NPROC < 1 || NNODES < 1 || NODE_RANK >= NNODES)); then
  echo "launch.sh: need --nproc >= 1, --nnodes >= 1 and --node-rank < --nnodes" >&2
  exit 1
fi
ADDR="${MASTER%:*}"
PORT="${MASTER##*:}"
if [[ -z "$ADDR" || ! "$PORT" =~ ^[0-9]+$ ]]; then
  echo "launch.sh: --master must be ADDR:PORT, got '$MASTER'" >&2
  exit 1
fi

BIN="$1"
shift
if [[ "$BIN" != */* ]]; then BIN="${SETOK_BUILD_DIR:-build}/apps/$BIN"; fi
if [[ ! -x "$BIN" ]]; then
  echo "launch.sh: $BIN is not an executable (build first: bash scripts/setup.sh)" >&2
  exit 1
fi

WORLD=$((NPROC * NNODES))
declare -A RANK_OF=()
PIDS=()
stop_all() {
  local sig="$1"
  for pid in "${PIDS[@]}"; do kill "-$sig" "$pid" 2>/dev/null; done
}
trap 'stop_all TERM' INT TERM

for ((local = 0; local < NPROC; ++local)); do
  rank=$((NODE_RANK * NPROC + local))
  RANK=$rank WORLD_SIZE=$WORLD LOCAL_RANK=$local LOCAL_WORLD_SIZE=$NPROC MASTER_ADDR="$ADDR" \
    MASTER_PORT="$PORT" "$BIN" "$@" &
  PIDS+=($!)
  RANK_OF[$!]=$rank
  echo "launch.sh: rank $rank/$WORLD pid $! ($BIN)" >&2
done

status=0
remaining=${#PIDS[@]}
while ((remaining > 0)); do
  finished=""
  wait -n -p finished
  code=$?
  [[ -z "$finished" ]] && break  # nothing left to wait for
  remaining=$((remaining - 1))
  if ((code != 0 && status == 0)); then
    status=$code
    how="exited with code $code"
    ((code > 128)) && how="was killed by signal $((code - 128))"
    echo "launch.sh: rank ${RANK_OF[$finished]} (pid $finished) $how; the other ranks stop" >&2
    # Let the others notice in their next collective and exit with their own message.
    for ((t = 0; t < GRACE * 10; ++t)); do
      alive=0
      for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive == 0)) && break
      sleep 0.1
    done
    stop_all TERM
  fi
done
wait
exit "$status"
