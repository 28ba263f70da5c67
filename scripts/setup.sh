#!/usr/bin/env bash
# Installs everything frigate-buffer needs on a fresh Debian 12 / Ubuntu 22.04+
# machine: system packages (FFmpeg, Mosquitto for the tests, build tools), a
# Rust toolchain when none is installed, and the ONNX Runtime library (into
# .ort/ inside the project, not system-wide). Safe to run again.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=(build-essential pkg-config cmake libssl-dev ffmpeg mosquitto chromium python3 python3-pip ca-certificates curl)
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

bash "$root/scripts/install-onnxruntime.sh"
echo "setup: done"
