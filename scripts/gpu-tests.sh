#!/usr/bin/env bash
# Runs the tests that need an NVIDIA GPU (ignored by `make test`): the NVIDIA backend
# against the CPU backend on the sample CE. Needs the driver, NVRTC (CUDA toolkit) on the
# library path and ONNX Runtime's GPU build (ORT_DYLIB_PATH=/path/to/libonnxruntime.so.1.x).
# On a GPU machine without Rust, pass a test binary built elsewhere:
#     GPU_TEST_BINARY=path/to/gpu_backend-<hash> scripts/gpu-tests.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -n "${GPU_TEST_BINARY:-}" ]; then
  exec "$GPU_TEST_BINARY" --ignored --nocapture --test-threads=1
fi
[ -d sample/ce ] || bash scripts/make-sample.sh sample/ce
exec cargo test --release --locked --test gpu_backend -- --ignored --nocapture --test-threads=1
