#!/usr/bin/env bash
# CUDA compile check, no GPU needed: builds the library, every app and every test binary with
# the CUDA flavour of LibTorch 2.6 (Debian trixie's libtorch-cuda-dev, CUDA 12.4, NCCL) inside
# the trixie root of scripts/torch2_root.sh (--cuda: ~2.4 GB of downloads and ~6 GB on disk the
# first time), so that SETOK_WITH_CUDA, the NCCL process group and the CUDA allocator code compile
# and link. Nothing is run: the binaries need a GPU and cuDNN, which the root lacks (the link
# allows cuDNN's symbols to stay unresolved for that reason). A compile or link error fails it.
#
#   bash scripts/check_cuda_build.sh        build folder build-cuda-check (incremental)
#
# Run it before committing anything that touches CUDA, NCCL, autocast, device or dist code; too
# heavy for every CI run (docs/testing.md records the last run).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "check_cuda_build: no arguments expected (try --help)" >&2; exit 1 ;;
esac
start=$(date +%s)
bash scripts/torch2_root.sh --cuda "set -o pipefail; mkdir -p build-cuda-check && \
  cmake -S . -B build-cuda-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DSETOK_WITH_OPENCV=OFF \
    -DSETOK_SANITIZE_FORMAT_TESTS=OFF -DCMAKE_EXE_LINKER_FLAGS=-Wl,--allow-shlib-undefined \
    -DCMAKE_SHARED_LINKER_FLAGS=-Wl,--allow-shlib-undefined | tee build-cuda-check/configure.log && \
  { grep -q 'torch .* (CUDA)' build-cuda-check/configure.log || \
    { echo 'check_cuda_build: CMake found a CPU LibTorch, not the CUDA one' >&2; exit 1; }; } && \
  cmake --build build-cuda-check -j $(nproc)"
echo "check_cuda_build: the CUDA flavour compiled and linked in $(( $(date +%s) - start )) s"
