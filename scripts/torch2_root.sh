#!/usr/bin/env bash
# Runs a command against LibTorch 2.6 (Debian 13 "trixie"), on a bookworm machine: makes or
# reuses a trixie root (debootstrap, minbase), installs what setok needs there, bind-mounts this
# repository at /src and runs the command inside, from /src.
#
#   bash scripts/torch2_root.sh [--cuda] [--] COMMAND...
#   e.g. bash scripts/torch2_root.sh 'cmake -S . -B build-t2 -G Ninja -DSETOK_WITH_OPENCV=OFF &&
#        cmake --build build-t2'
#
# --cuda      uses a second root with the CUDA set (libtorch-cuda-dev from contrib, CUDA 12.4, NCCL):
#             ~2.4 GB of downloads, ~11 GB on disk; for compile checks (no GPU needed).
# Environment:
#   SETOK_TORCH2_ROOT       the root (default /var/cache/setok-trixie; reused when it is there)
#   SETOK_TORCH2_CUDA_ROOT  the root of --cuda (default /var/cache/setok-trixie-cuda: trixie's CPU
#                           and CUDA LibTorch packages conflict)
#   SETOK_TORCH2_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
#
# Needs root (debootstrap, mount, chroot). Trixie's binaries need glibc 2.38, hence a root
# rather than packages on the host. The mounts are undone on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
MIRROR="${SETOK_TORCH2_MIRROR:-http://deb.debian.org/debian}"

cuda=0
while (($# > 0)); do
  case "$1" in
    --cuda) cuda=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done

# The CPU and CUDA LibTorch packages conflict, so each has its own root.
if ((cuda)); then
  ROOT="${SETOK_TORCH2_CUDA_ROOT:-/var/cache/setok-trixie-cuda}"
else
  ROOT="${SETOK_TORCH2_ROOT:-/var/cache/setok-trixie}"
fi

die() { echo "torch2_root: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount and chroot)"

# OpenBLAS as on the host (scripts/setup.sh): a minbase root would otherwise give LibTorch the
# reference BLAS, single-threaded and 7-60x slower in setok_bench.
BUILD_PACKAGES=(nlohmann-json3-dev libcli11-dev libspdlog-dev libsentencepiece-dev sentencepiece
  libgtest-dev zlib1g-dev cmake g++ ninja-build libopenblas0-pthread libopenblas0-openmp)
CPU_PACKAGES=(libtorch-dev libgloo-dev)
CUDA_PACKAGES=(libtorch-cuda-dev nvidia-cuda-toolkit libnccl-dev libgloo-cuda-dev)

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
  if ! command -v debootstrap >/dev/null; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }; } ||
      die "cannot install debootstrap on this machine"
  fi
  echo "torch2_root: making a trixie root in $ROOT from $MIRROR (about a minute)"
  rm -rf "$ROOT.partial"
  debootstrap --variant=minbase trixie "$ROOT.partial" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 ||
    die "debootstrap failed (mirror $MIRROR reachable? log: $ROOT.debootstrap.log)"
  mv "$ROOT.partial" "$ROOT"
fi

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
mount_in() {  # mount_in TARGET MOUNT-ARGS...
  local target="$ROOT$1"
  shift
  mkdir -p "$target"
  mountpoint -q "$target" && return 0
  mount "$@" "$target" || die "mount $* $target failed"
  mounted+=("$target")
}
mount_in /proc -t proc proc
mount_in /dev --bind /dev
mount_in /dev/shm -t tmpfs tmpfs
mount_in /src --bind "$REPO"
cp -f /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

in_root() { chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

wanted=("${BUILD_PACKAGES[@]}")
if ((cuda)); then
  wanted+=("${CUDA_PACKAGES[@]}")
  grep -q contrib "$ROOT/etc/apt/sources.list" ||
    echo "deb $MIRROR trixie main contrib non-free non-free-firmware" >"$ROOT/etc/apt/sources.list"
  # nvidia-cudnn is a downloader of NVIDIA's archive, which this machine cannot reach: declining
  # its licence question makes it install nothing (the compile check links without cuDNN).
  echo "nvidia-cudnn nvidia-cudnn/question select I Decline" | in_root debconf-set-selections ||
    die "could not preseed nvidia-cudnn's licence question"
else
  wanted+=("${CPU_PACKAGES[@]}")
fi
missing=()
for pkg in "${wanted[@]}"; do
  in_root dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "torch2_root: installing ${missing[*]} in $ROOT"
  in_root apt-get update -q >/dev/null || die "apt-get update failed in $ROOT (mirror $MIRROR)"
  # An install cut short before leaves packages unconfigured; finish them first.
  in_root dpkg --configure -a ||
    die "dpkg --configure -a failed in $ROOT (an earlier install broke; remove the root to start over)"
  in_root apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed in $ROOT"
fi

(($# > 0)) || die "no command given (try --help)"
in_root /bin/bash -c 'cd /src && eval "$1"' torch2_root "$*"
