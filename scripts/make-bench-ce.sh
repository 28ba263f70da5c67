#!/usr/bin/env bash
# Builds the benchmark CE: four cameras of 36 s at 20 fps, H.264 with a keyframe every
# 2 s, at 1920x1080, 1280x720, 1280x720 and 640x480 (2,880 frames in all), from the
# sample CE's clips (looped and scaled). This is the shape of the reference measurement of
# the previous design in BENCHMARKS.md.
# Usage: scripts/make-bench-ce.sh OUT_DIR   (needs ffmpeg with libx264; makes the sample first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: make-bench-ce.sh OUT_DIR}
sample=$root/sample/ce
[ -f "$sample/front_door/front_door-1.mp4" ] || bash "$root/scripts/make-sample.sh" "$sample"
make_clip() { # camera source width height
  mkdir -p "$out/$1"
  [ -f "$out/$1/$1-1.mp4" ] && return
  ffmpeg -hide_banner -loglevel error -y -stream_loop 1 -i "$sample/$2/$2-1.mp4" -t 36 \
    -vf "scale=$3:$4,setsar=1" -r 20 -c:v libx264 -preset veryfast -crf 23 -g 40 -pix_fmt yuv420p \
    -an "$out/$1/$1.partial.mp4"
  mv "$out/$1/$1.partial.mp4" "$out/$1/$1-1.mp4"
}
make_clip front_door front_door 1920 1080
make_clip driveway driveway 1280 720
make_clip backyard backyard 1280 720
make_clip garage front_door 640 480
ls -la "$out"/*/
