#!/usr/bin/env bash
# Generates the sample consolidated event used as demo and test footage:
#   OUT_DIR/{front_door,driveway,backyard}/<camera>-1.mp4 and OUT_DIR/ground_truth.json
# Needs ffmpeg (with libx264), python3 and pip; pip fetches the pictures from PyPI on the first run
# (cached under ${SAMPLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/frigate-buffer-sample}).
# Deterministic and idempotent: a stamp in OUT_DIR makes a repeated run a no-op.
# See make_sample.py beside this script for the scene plan and the ground truth.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "make-sample: ffmpeg not found on PATH (Debian/Ubuntu: apt-get install ffmpeg)" >&2
  exit 1
fi
if [[ "$(ffmpeg -hide_banner -encoders 2>/dev/null)" != *' libx264 '* ]]; then
  echo "make-sample: this ffmpeg has no libx264 encoder (Debian/Ubuntu: apt-get install ffmpeg)" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "make-sample: python3 not found on PATH (Debian/Ubuntu: apt-get install python3)" >&2
  exit 1
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "make-sample: pip not found for python3 (Debian/Ubuntu: apt-get install python3-pip)" >&2
  exit 1
fi

exec python3 "$(dirname "${BASH_SOURCE[0]}")/make_sample.py" "$1"
