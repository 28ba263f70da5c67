#!/usr/bin/env bash
# Installs what frigate-buffer needs on a fresh Debian 12 / Ubuntu 22.04+ machine (a minimal
# install will do: no make, compiler or pip needed beforehand): the packages to build and run it
# (FFmpeg, build tools, Python for the ONNX Runtime install), a Rust toolchain when none is
# installed, and ONNX Runtime, the GPU build when an NVIDIA driver is present (into .ort/ inside
# the project, not system-wide; see scripts/install-onnxruntime.sh). Safe to run again.
#
# usage: setup.sh [--tests] [install-onnxruntime.sh options]
#   --tests  also installs what the test suite needs: Mosquitto and Chromium.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

with_tests=0
onnxruntime_args=()
for arg in "$@"; do
  case "$arg" in
    --tests) with_tests=1 ;;
    *) onnxruntime_args+=("$arg") ;;
  esac
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# To build and run: a C toolchain and cmake (for the MQTT client library), FFmpeg, Python to unpack
# the ONNX Runtime wheel, make for the Makefile's shortcuts.
packages=(build-essential make pkg-config cmake libssl-dev ffmpeg python3 python3-pip ca-certificates curl)
if [ "$with_tests" = 1 ]; then
  packages+=(mosquitto chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

bash "$root/scripts/install-onnxruntime.sh" "${onnxruntime_args[@]}"
echo "setup: done"
