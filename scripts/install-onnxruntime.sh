#!/usr/bin/env bash
# Installs the ONNX Runtime shared library (CPU build) into the project, at
# .ort/lib/libonnxruntime.so, from the official `onnxruntime` wheel on PyPI.
# Nothing is installed system-wide. frigate-buffer finds the library there
# (or wherever ORT_DYLIB_PATH points).
set -euo pipefail

ORT_VERSION="${ORT_VERSION:-1.30.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.ort"
lib="$dest/lib/libonnxruntime.so.$ORT_VERSION"

if [ -f "$lib" ]; then
  echo "ONNX Runtime $ORT_VERSION already installed at $lib"
  exit 0
fi
command -v python3 >/dev/null || { echo "install-onnxruntime: python3 is required" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || { echo "install-onnxruntime: pip is required (apt-get install python3-pip)" >&2; exit 1; }

wheels="$dest/wheel"
mkdir -p "$wheels" "$dest/lib"
# The shared library inside the wheel does not depend on the Python version,
# so any CPython tag for this platform will do.
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --python-version 3.11 --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64 \
  -d "$wheels" "onnxruntime==$ORT_VERSION"
wheel="$(ls "$wheels"/onnxruntime-"$ORT_VERSION"-*.whl | head -n 1)"
python3 - "$wheel" "$dest/lib" "$ORT_VERSION" <<'PY'
import sys, zipfile, os
wheel, out, version = sys.argv[1:]
name = f"onnxruntime/capi/libonnxruntime.so.{version}"
with zipfile.ZipFile(wheel) as z:
    data = z.read(name)
tmp = os.path.join(out, f".libonnxruntime.so.{version}.tmp")
with open(tmp, "wb") as f:
    f.write(data)
os.replace(tmp, os.path.join(out, f"libonnxruntime.so.{version}"))
PY
ln -sf "libonnxruntime.so.$ORT_VERSION" "$dest/lib/libonnxruntime.so"
rm -rf "$wheels"
echo "ONNX Runtime $ORT_VERSION installed at $lib"
