#!/usr/bin/env bash
# Installs the Debian packages setok needs (DESIGN §4) and builds it (Release) into build/.
# Idempotent and non-interactive; when every package is already installed it skips apt
# entirely, so re-running it is just an incremental build.
#
# Environment:
#   SETOK_BUILD_DIR    build folder (default: build)
#   SETOK_CMAKE_ARGS   extra CMake arguments, e.g. "-DSETOK_WITH_OPENCV=OFF"
#   SETOK_JOBS         parallel build jobs (default: number of cores)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  libtorch-dev          # LibTorch 1.13 (CPU)
  libopenblas0-pthread  # fast BLAS for torch matmuls (the reference BLAS is ~28x slower)
  libopenblas0-openmp   # the OpenMP flavour our binaries load (cmake/SetokBlas.cmake)
  libgloo-dev           # c10d Gloo headers (distributed CPU runs)
  libopencv-dev         # image decoding / drawing
  nlohmann-json3-dev
  libcli11-dev
  libspdlog-dev
  libsentencepiece-dev
  sentencepiece
  libgtest-dev
  cmake
  g++
  ninja-build
  jq                    # scripts/ablate_tokens.sh reads the runs' JSON results
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

BUILD_DIR="${SETOK_BUILD_DIR:-build}"
# shellcheck disable=SC2086  # SETOK_CMAKE_ARGS is a list of arguments
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${SETOK_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "${SETOK_JOBS:-$(nproc)}"
echo "setup: built into $BUILD_DIR/ (apps in $BUILD_DIR/apps, tests: ctest --test-dir $BUILD_DIR)"
