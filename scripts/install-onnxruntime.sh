#!/usr/bin/env bash
# Installs ONNX Runtime into the project (.ort/, nothing system-wide), the build this machine can
# use:
#   - with an NVIDIA driver whose CUDA version is 13 or newer (driver >= 580): onnxruntime-gpu
#     1.31.1, a CUDA 13 build;
#   - with a CUDA 12 driver (525 to 575): onnxruntime-gpu 1.26.0, the last CUDA 12 build on PyPI;
#   - otherwise: the CPU build, onnxruntime 1.30.0.
# For a GPU build it also installs, only where the system lacks them, the CUDA libraries that ONNX
# Runtime's CUDA provider and the NVRTC image kernels need, from NVIDIA's own wheels on PyPI, into
# .ort/cuda/. It records what it chose in .ort/BUILD and, for every CUDA library, where it comes
# from in .ort/cuda-libraries.tsv; frigate-buffer loads those files at start-up, so no
# LD_LIBRARY_PATH is needed. Safe to run again.
#
# usage: install-onnxruntime.sh [--onnxruntime auto|cpu|gpu] [--cuda 12|13] [--wheels DIR]
#   --onnxruntime  auto (default) detects the driver; gpu installs a GPU build without one (for
#                  container images that get the driver at run time); cpu forces the CPU build.
#   --cuda         the CUDA major version of a GPU build when no driver tells it (default 13).
#   --wheels DIR   take the wheels from DIR instead of PyPI (offline hosts): put the
#                  onnxruntime(-gpu) wheel and any nvidia-* wheels there.
# The same choices can be made with FRIGATE_BUFFER_ONNXRUNTIME, FRIGATE_BUFFER_CUDA and
# FRIGATE_BUFFER_WHEELS.
set -euo pipefail

mode="${FRIGATE_BUFFER_ONNXRUNTIME:-auto}"
cuda_major="${FRIGATE_BUFFER_CUDA:-}"
wheels="${FRIGATE_BUFFER_WHEELS:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --onnxruntime) mode="$2"; shift 2 ;;
    --cuda) cuda_major="$2"; shift 2 ;;
    --wheels) wheels="$2"; shift 2 ;;
    *) echo "install-onnxruntime: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$mode" in auto|cpu|gpu) ;; *) echo "install-onnxruntime: --onnxruntime must be auto, cpu or gpu, not '$mode'" >&2; exit 2 ;; esac
[ -z "$wheels" ] || wheels="$(cd "$wheels" && pwd)"

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.ort"
command -v python3 >/dev/null || { echo "install-onnxruntime: python3 is required" >&2; exit 1; }

# The CUDA version the driver supports (13000 for 13.0), or nothing without a driver.
driver_cuda_version() {
  python3 - <<'PY' 2>/dev/null || true
import ctypes
try:
    cuda = ctypes.CDLL("libcuda.so.1")
except OSError:
    raise SystemExit(0)
version = ctypes.c_int(0)
if cuda.cuDriverGetVersion(ctypes.byref(version)) == 0:
    print(version.value)
PY
}

if [ "$mode" = auto ] || [ -z "$cuda_major" ]; then
  driver="$(driver_cuda_version)"
  if [ -n "$driver" ]; then
    echo "install-onnxruntime: NVIDIA driver found, CUDA $((driver / 1000)).$(((driver % 1000) / 10))"
  fi
fi
if [ "$mode" = auto ]; then
  if [ -z "${driver:-}" ]; then
    mode=cpu
  elif [ "$driver" -ge 13000 ]; then
    mode=gpu; cuda_major="${cuda_major:-13}"
  elif [ "$driver" -ge 12000 ]; then
    mode=gpu; cuda_major="${cuda_major:-12}"
  else
    echo "install-onnxruntime: the driver supports only CUDA $((driver / 1000)); the GPU builds need CUDA 12 (driver 525 or newer): installing the CPU build"
    mode=cpu
  fi
fi
if [ "$mode" = gpu ] && [ -z "$cuda_major" ]; then
  if [ -n "${driver:-}" ] && [ "$driver" -lt 13000 ]; then cuda_major=12; else cuda_major=13; fi
fi

case "$mode:$cuda_major" in
  cpu:*) package=onnxruntime; version=1.30.0 ;;
  gpu:13) package=onnxruntime-gpu; version=1.31.1 ;;
  gpu:12) package=onnxruntime-gpu; version=1.26.0 ;;
  *) echo "install-onnxruntime: --cuda must be 12 or 13, not '$cuda_major'" >&2; exit 2 ;;
esac
build="$package $version${cuda_major:+ cuda$cuda_major}"
[ "$mode" = cpu ] && build="$package $version cpu"

# Downloads (or finds in --wheels) the wheel of `requirement` into $work; prints its path.
fetch_wheel() {
  local requirement="$1" name
  name="$(echo "${requirement%%[=~<>]*}" | tr '-' '_')"
  if [ -n "$wheels" ]; then
    local found
    found="$(python3 - "$wheels" "$name" "$requirement" <<'PY'
import os, re, sys
folder, name, requirement = sys.argv[1:]
pinned = requirement.split("==")[1] if "==" in requirement else None
prefix = pinned[:-1] if pinned and pinned.endswith("*") else None
major = requirement.split("~=")[1].split(".")[0] if "~=" in requirement else None
best = None
for file in sorted(os.listdir(folder)):
    m = re.match(rf"(?i){re.escape(name)}-([0-9][^-]*)-.*(manylinux|linux)[^-]*x86_64\.whl$", file)
    if not m:
        continue
    v = m.group(1)
    if prefix is not None:
        if not v.startswith(prefix):
            continue
    elif pinned and v != pinned:
        continue
    if major and v.split(".")[0] != major:
        continue
    best = file
if best:
    print(os.path.join(folder, best))
PY
)"
    [ -n "$found" ] || { echo "install-onnxruntime: no wheel for $requirement in $wheels" >&2; return 1; }
    echo "$found"
    return 0
  fi
  python3 -m pip --version >/dev/null 2>&1 || { echo "install-onnxruntime: pip is required to download $requirement (apt-get install python3-pip), or pass --wheels DIR" >&2; return 1; }
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
    -d "$work" "$requirement" >&2
  local downloaded
  downloaded="$(ls -t "$work"/"$name"-*.whl 2>/dev/null | head -n 1)"
  [ -n "$downloaded" ] || { echo "install-onnxruntime: pip did not fetch $requirement" >&2; return 1; }
  echo "$downloaded"
}

# Extracts the members of `wheel` whose path matches the regular expression into `out` (flat).
extract() {
  python3 - "$@" <<'PY'
import os, re, sys, zipfile
wheel, pattern, out = sys.argv[1:]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for member in z.namelist():
        if re.search(pattern, member):
            target = os.path.join(out, os.path.basename(member))
            tmp = target + ".tmp"
            with open(tmp, "wb") as f:
                f.write(z.read(member))
            os.chmod(tmp, 0o755)
            os.replace(tmp, target)
            print(os.path.basename(member))
PY
}

if [ -f "$dest/BUILD" ] && [ "$(cat "$dest/BUILD")" = "$build" ] && [ -e "$dest/lib/libonnxruntime.so" ]; then
  echo "ONNX Runtime already installed: $build ($dest/lib)"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$dest/lib" "$dest/cuda" "$dest/BUILD" "$dest/cuda-libraries.tsv"
mkdir -p "$dest/lib"
wheel="$(fetch_wheel "$package==$version")"
extract "$wheel" "onnxruntime/capi/libonnxruntime[^/]*\.so[^/]*$" "$dest/lib" >/dev/null
ln -sf "libonnxruntime.so.$version" "$dest/lib/libonnxruntime.so"

if [ "$mode" = gpu ]; then
  # NVRTC writes PTX for the driver to finish, and a driver cannot read PTX newer than itself:
  # NVRTC must not be newer than the driver's CUDA version. Without a driver to ask (an image
  # built for any host), the first release of the major suits every driver of that major.
  if [ -n "${driver:-}" ] && [ "$((driver / 1000))" = "$cuda_major" ]; then
    nvrtc_version="==$cuda_major.$(((driver % 1000) / 10)).*"
  else
    nvrtc_version="==$cuda_major.0.*"
  fi
  # soname, the wheel that ships it, the pattern of the files to take from that wheel.
  if [ "$cuda_major" = 13 ]; then
    needed=(
      "libcudart.so.13 nvidia-cuda-runtime~=13.0 libcudart\.so"
      "libcublasLt.so.13 nvidia-cublas~=13.0 libcublas(Lt)?\.so"
      "libcublas.so.13 nvidia-cublas~=13.0 libcublas(Lt)?\.so"
      "libcurand.so.10 nvidia-curand~=10.0 libcurand\.so"
      "libcufft.so.12 nvidia-cufft~=12.0 libcufft\.so"
      "libnvrtc.so.13 nvidia-cuda-nvrtc$nvrtc_version libnvrtc(-builtins)?\.so"
      "libcudnn.so.9 nvidia-cudnn-cu13~=9.0 libcudnn[a-z_]*\.so"
      "libnvjpeg.so.13 nvidia-nvjpeg~=13.0 libnvjpeg\.so"
    )
  else
    needed=(
      "libcudart.so.12 nvidia-cuda-runtime-cu12~=12.0 libcudart\.so"
      "libcublasLt.so.12 nvidia-cublas-cu12~=12.0 libcublas(Lt)?\.so"
      "libcublas.so.12 nvidia-cublas-cu12~=12.0 libcublas(Lt)?\.so"
      "libcurand.so.10 nvidia-curand-cu12~=10.0 libcurand\.so"
      "libcufft.so.11 nvidia-cufft-cu12~=11.0 libcufft\.so"
      "libnvrtc.so.12 nvidia-cuda-nvrtc-cu12$nvrtc_version libnvrtc(-builtins)?\.so"
      "libcudnn.so.9 nvidia-cudnn-cu12~=9.0 libcudnn[a-z_]*\.so"
      "libnvjpeg.so.12 nvidia-nvjpeg-cu12~=12.0 libnvjpeg\.so"
    )
  fi
  # Where a system keeps CUDA libraries that are not on the loader's default path.
  cuda_dirs=("${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda/lib64 /usr/local/cuda-"$cuda_major"*/lib64 \
    /usr/local/cuda-"$cuda_major"*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/lib)
  # Finds `soname` on this system: the loader's cache first, then the CUDA folders.
  find_system() {
    local soname="$1" path dir
    path="$( (/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true) | awk -v n="$soname" '$1 == n && /x86-64/ {print $NF; exit}')"
    if [ -n "$path" ] && [ -e "$path" ]; then echo "$path"; return 0; fi
    for dir in "${cuda_dirs[@]}"; do
      if [ -e "$dir/$soname" ]; then echo "$dir/$soname"; return 0; fi
    done
    return 1
  }
  manifest="$work/cuda-libraries.tsv"
  : > "$manifest"
  declare -A fetched=()
  for entry in "${needed[@]}"; do
    read -r soname requirement pattern <<<"$entry"
    if path="$(find_system "$soname")"; then
      printf '%s\t%s\tsystem\n' "$soname" "$(readlink -f "$path")" >> "$manifest"
      # NVRTC compiles through its builtins library, which it opens by name.
      if [ "${soname%%.so*}" = libnvrtc ]; then
        for builtins in "$(dirname "$path")"/libnvrtc-builtins.so.*; do
          [ -e "$builtins" ] && printf '%s\t%s\tsystem\n' "$(basename "$builtins")" "$(readlink -f "$builtins")" >> "$manifest"
          break
        done
      fi
      continue
    fi
    if [ -z "${fetched[$requirement]:-}" ]; then
      echo "install-onnxruntime: $soname not found on this system; installing it from $requirement"
      wheel="$(fetch_wheel "$requirement")"
      fetched[$requirement]="$(basename "$wheel" | cut -d- -f1,2)"
      for file in $(extract "$wheel" "nvidia/.*/lib/${pattern}[^/]*$" "$dest/cuda/lib"); do
        case "$file" in *.so) continue ;; esac  # development links; the versioned files are loaded
        grep -q "^$file	" "$manifest" || printf '%s\t%s\twheel %s\n' "$file" ".ort/cuda/lib/$file" "${fetched[$requirement]}" >> "$manifest"
      done
    fi
  done
  mv "$manifest" "$dest/cuda-libraries.tsv"
fi
echo "$build" > "$dest/BUILD"
echo "ONNX Runtime installed: $build ($dest/lib)"
if [ -f "$dest/cuda-libraries.tsv" ]; then
  echo "CUDA libraries (soname, file, origin), loaded by frigate-buffer at start-up:"
  sed 's/^/  /' "$dest/cuda-libraries.tsv"
fi
