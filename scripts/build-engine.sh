#!/usr/bin/env bash
# Builds the TensorRT engine of the configured detector ahead of time (fp16 unless the
# pipeline preset says `tensorrt: fp32`), into the cache the service reads at start-up
# ($FRIGATE_BUFFER_CACHE/tensorrt, else ~/.cache/frigate-buffer/tensorrt).
# Engines are tied to the GPU model and the TensorRT/CUDA versions: run this again after
# changing any of them (ONNX Runtime would otherwise rebuild on the first event).
# Usage: scripts/build-engine.sh [--config config.yaml] [--device N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${FRIGATE_BUFFER_BIN:-$root/target/release/frigate-buffer}
if [ ! -x "$binary" ]; then
  (cd "$root" && cargo build --release --locked)
fi
exec "$binary" build-engine "$@"
