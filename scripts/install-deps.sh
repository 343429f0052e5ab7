#!/usr/bin/env bash
# Installs the Debian packages shardwise needs, only those missing. Idempotent:
# a machine that already has everything runs no apt command at all.
set -euo pipefail

packages=(
  cmake ninja-build g++ make ccache pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev
  pybind11-dev python3-dev python3-numpy python3-pytest python3-torch
  libhwy-dev libdnnl-dev libxnnpack-dev libpthreadpool-dev python3-matplotlib
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
