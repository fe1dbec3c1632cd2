#!/usr/bin/env bash
# Starts a setok training binary. Today: one process (multi-process launching through torchrun
# variables arrives with distributed training). Usage: launch.sh BINARY [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${SETOK_BUILD_DIR:-build}"
BIN="$1"
shift
exec "$BUILD/apps/$BIN" "$@"
