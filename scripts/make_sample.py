#!/usr/bin/env python3
"""Build the sample consolidated-event footage of frigate-buffer.

Writes OUT_DIR/<camera>/<camera>-1.mp4 for three cameras and OUT_DIR/ground_truth.json, all
derived from one plan (PLAN below): a real photograph of a person (NASA's public-domain portrait
of astronaut Eileen Collins, shipped in the scikit-image wheel as skimage/data/astronaut.png)
moves in straight lines over a still background (CC0 textures from the same wheel). The person's
box in every frame follows from the same numbers that drive ffmpeg's overlay, so the ground
truth is exact.

Only the Python standard library, ffmpeg (libx264) and pip (to fetch the wheel once) are used.
The clips are byte-identical across runs on the same ffmpeg build. A stamp in OUT_DIR records
what produced the outputs; when it still matches, nothing is done.

Usage: make_sample.py OUT_DIR   (normally called through make-sample.sh)
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FPS = 20
FRAMES = 600  # 30 s

# The wheel the pictures come from. The wheel's platform is pinned too, so every host fetches the
# same file whatever its own Python or CPU; only data files are read from it.
WHEEL_REQUIREMENT = "scikit-image==0.25.2"
WHEEL_PLATFORM_ARGS = [
    "--platform", "manylinux_2_17_x86_64", "--python-version", "3.12",
    "--implementation", "cp", "--abi", "cp312",
]
PICTURES = {
    # name in the wheel: sha256 of the file
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "brick.png": "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
    "gravel.png": "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
    "grass.png": "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
}
PERSON_PICTURE = "astronaut.png"

# The part of astronaut.png (512x512) that is pasted into the scenes: its left 384 columns, which
# hold the person and drop the shuttle model on the right. Pasted sizes keep this 3:4 aspect.
PERSON_CROP_WIDTH = 384
PERSON_CROP_HEIGHT = 512

# The person's box inside astronaut.png, [x1, y1, x2, y2] in the picture's pixels. Measured once by
# running the shipped detector models/nanodet_coco80_416.onnx on astronaut.png alone (letterbox to
# 416x416, pad 114, RGB 0..1, score threshold 0.35): one person, score 0.73, box
# [-4.9, -5.4, 344.6, 487.8]; clipped to the picture and rounded here. It lies inside the crop.
PERSON_BOX_IN_PICTURE = (0, 0, 345, 488)

# One entry per camera. Each appearance pastes the person picture at `height` pixels (width =
# height * 3/4) from frame `first` to frame `last` (inclusive); its top-left corner moves linearly:
# x = x + vx * (n - first), y = y + vy * (n - first). Positions are kept inside the frame.
PLAN = {
    "front_door": {
        "size": (1920, 1080),
        "background": "brick.png",
        "tint": "rr=1.0:gg=0.78:bb=0.66",  # a red-brown brick wall
        "appearances": [
            # 10-20 s: close to the camera, by far the largest person of the event.
            {"first": 200, "last": 399, "height": 760, "x": 160, "y": 200, "vx": 4.0, "vy": 0.0},
        ],
    },
    "driveway": {
        "size": (1280, 720),
        "background": "gravel.png",
        "tint": "rr=0.96:gg=0.94:bb=0.9",  # grey-beige gravel
        "appearances": [
            # The whole clip: far away, walking right to left and slightly up.
            {"first": 0, "last": 599, "height": 240, "x": 1060, "y": 420, "vx": -1.7, "vy": -0.2},
        ],
    },
    "backyard": {
        "size": (1280, 720),
        "background": "grass.png",
        "tint": "rr=0.55:gg=0.9:bb=0.45",  # green lawn
        "appearances": [
            # 0-8 s only, then an empty lawn: left to right and slightly down.
            {"first": 0, "last": 159, "height": 400, "x": 40, "y": 200, "vx": 4.0, "vy": 0.5},
        ],
    },
}

# Encoder settings: H.264 yuv420p at 20 fps, a keyframe every 40 frames, one thread and bit-exact
# muxing so the bytes depend only on the ffmpeg build.
ENCODE_ARGS = [
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
    "-r", str(FPS), "-g", "40", "-keyint_min", "40", "-sc_threshold", "0", "-threads", "1",
    "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
    "-movflags", "+faststart",
]

STAMP_NAME = ".make-sample.stamp"


def fail(message):
    """Stop with a one-line message naming what went wrong."""
    sys.exit("make-sample: " + message)


def sha256_of(path):
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir():
    """Where the extracted pictures are kept between runs (SAMPLE_CACHE_DIR overrides)."""
    explicit = os.environ.get("SAMPLE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "frigate-buffer-sample"


def pictures_are_cached(folder):
    """True when every picture is already extracted in `folder` with the expected sha256."""
    return all((folder / name).is_file() and sha256_of(folder / name) == digest
               for name, digest in PICTURES.items())


def fetch_pictures(folder):
    """Download the pinned scikit-image wheel with pip and extract the pictures, checking hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as download_dir:
        command = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps",
                   "--only-binary=:all:", *WHEEL_PLATFORM_ARGS, "--quiet", "-d", download_dir]
        if subprocess.run(command).returncode != 0:
            fail(f"pip could not download {WHEEL_REQUIREMENT} (is PyPI reachable?)")
        wheels = list(Path(download_dir).glob("*.whl"))
        if len(wheels) != 1:
            fail(f"expected one wheel for {WHEEL_REQUIREMENT} in {download_dir}, found {len(wheels)}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name, digest in PICTURES.items():
                member = "skimage/data/" + name
                try:
                    data = wheel.read(member)
                except KeyError:
                    fail(f"{member} is missing from {wheels[0].name}")
                if hashlib.sha256(data).hexdigest() != digest:
                    fail(f"{member} in {wheels[0].name} has an unexpected sha256")
                (folder / name).write_bytes(data)


def overlay_position(appearance, frame):
    """Top-left corner of the pasted picture at `frame`, exactly as ffmpeg's overlay computes it.

    overlay evaluates the expression in double precision, truncates it to an int and clears the
    lowest bit (yuv420 chroma alignment); the same double arithmetic is done here.
    """
    steps = float(frame - appearance["first"])
    x = appearance["x"] + appearance["vx"] * steps
    y = appearance["y"] + appearance["vy"] * steps
    return int(x) & ~1, int(y) & ~1


def picture_width(appearance):
    """Width of the pasted person picture (the crop's 3:4 aspect at the appearance's height)."""
    return appearance["height"] * PERSON_CROP_WIDTH // PERSON_CROP_HEIGHT


def check_plan():
    """Fail unless every appearance stays inside its frame and the sizes are exact integers."""
    for camera, spec in PLAN.items():
        width, height = spec["size"]
        for appearance in spec["appearances"]:
            if appearance["height"] * PERSON_CROP_WIDTH % PERSON_CROP_HEIGHT or appearance["height"] % 2:
                fail(f"{camera}: height {appearance['height']} does not give an even integer width")
            for frame in (appearance["first"], appearance["last"]):
                x, y = overlay_position(appearance, frame)
                if x < 0 or y < 0 or x + picture_width(appearance) > width or y + appearance["height"] > height:
                    fail(f"{camera}: the person leaves the {width}x{height} frame at frame {frame}")


def person_box(appearance, frame):
    """The person's box in the camera's native pixels at `frame`."""
    x, y = overlay_position(appearance, frame)
    scale = appearance["height"] / PERSON_CROP_HEIGHT
    x1, y1, x2, y2 = PERSON_BOX_IN_PICTURE
    return [round(x + x1 * scale), round(y + y1 * scale), round(x + x2 * scale), round(y + y2 * scale)]


def camera_boxes(spec):
    """The person's box per frame of one camera, None where no person is shown."""
    boxes = [None] * FRAMES
    for appearance in spec["appearances"]:
        for frame in range(appearance["first"], appearance["last"] + 1):
            boxes[frame] = person_box(appearance, frame)
    return boxes


def largest_camera_spans(boxes_by_camera):
    """Spans of time in which one camera shows the person largest relative to its frame size."""
    spans = []
    for frame in range(FRAMES):
        best, best_share = None, 0.0
        for camera, boxes in boxes_by_camera.items():
            box = boxes[frame]
            if box is None:
                continue
            width, height = PLAN[camera]["size"]
            share = (box[2] - box[0]) * (box[3] - box[1]) / (width * height)
            if share > best_share:
                best, best_share = camera, share
        if best is None:
            continue
        if spans and spans[-1]["camera"] == best and spans[-1]["end_frame"] == frame:
            spans[-1]["end_frame"] = frame + 1
        else:
            spans.append({"camera": best, "start_frame": frame, "end_frame": frame + 1})
    return [{"camera": span["camera"], "start_sec": span["start_frame"] / FPS,
             "end_sec": span["end_frame"] / FPS} for span in spans]


def ground_truth():
    """The content of ground_truth.json, computed from PLAN alone."""
    boxes_by_camera = {camera: camera_boxes(spec) for camera, spec in PLAN.items()}
    return {
        "fps": FPS,
        "frames": FRAMES,
        "cameras": {camera: {"width": PLAN[camera]["size"][0], "height": PLAN[camera]["size"][1],
                             "boxes": boxes}
                    for camera, boxes in boxes_by_camera.items()},
        "largest_camera_spans": largest_camera_spans(boxes_by_camera),
        "person_bbox_in_source": list(PERSON_BOX_IN_PICTURE),
    }


# Each still picture is prepared (scaled, tinted, converted) once and then repeated as a 20 fps
# stream, which is much cheaper than filtering a looped input on every frame.
REPEAT_STILL = f"loop=loop=-1:size=1,setpts=N/({FPS}*TB)"

# The frame index inside overlay expressions, taken from the frame's timestamp. overlay's own `n`
# is not used: in the x/y expressions it counts from 1 (ffmpeg 5.1) while `enable` counts from 0.
FRAME_INDEX = f"round(t*{FPS})"


def filter_graph(spec):
    """ffmpeg filter graph: tinted background, then one moving overlay per appearance."""
    width, height = spec["size"]
    appearances = spec["appearances"]
    parts = [
        f"[0:v]scale={width}:{width}:flags=bicubic,crop={width}:{height}:0:{(width - height) // 2},"
        f"format=rgb24,colorchannelmixer={spec['tint']},format=yuv420p,{REPEAT_STILL}[scene0]",
        f"[1:v]crop={PERSON_CROP_WIDTH}:{PERSON_CROP_HEIGHT}:0:0,split={len(appearances)}"
        + "".join(f"[person{i}]" for i in range(len(appearances))),
    ]
    for i, appearance in enumerate(appearances):
        first, last = appearance["first"], appearance["last"]
        target = "[out]" if i == len(appearances) - 1 else f"[scene{i + 1}]"
        parts.append(f"[person{i}]scale={picture_width(appearance)}:{appearance['height']}:flags=bicubic,"
                     f"format=yuv420p,{REPEAT_STILL}[pasted{i}]")
        parts.append(
            f"[scene{i}][pasted{i}]overlay="
            f"x='{appearance['x']}+{appearance['vx']!r}*({FRAME_INDEX}-{first})':"
            f"y='{appearance['y']}+{appearance['vy']!r}*({FRAME_INDEX}-{first})':"
            f"eval=frame:enable='between({FRAME_INDEX},{first},{last})'{target}")
    return ";".join(parts)


def encode_command(camera, pictures, output):
    """The ffmpeg command line that renders one camera's clip into `output`."""
    spec = PLAN[camera]
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-filter_complex_threads", "1",
        "-framerate", str(FPS), "-i", str(pictures / spec["background"]),
        "-framerate", str(FPS), "-i", str(pictures / PERSON_PICTURE),
        "-filter_complex", filter_graph(spec), "-map", "[out]", "-frames:v", str(FRAMES),
        *ENCODE_ARGS, str(output),
    ]


def inputs_fingerprint():
    """Hash of everything the outputs depend on: these scripts, the pictures and the ffmpeg build."""
    digest = hashlib.sha256()
    script_dir = Path(__file__).resolve().parent
    for path in sorted([Path(__file__).resolve(), script_dir / "make-sample.sh"]):
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update(json.dumps(PICTURES, sort_keys=True).encode())
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, check=True).stdout
    digest.update(version)
    return digest.hexdigest()


def output_paths():
    """The generated files, relative to OUT_DIR."""
    return [f"{camera}/{camera}-1.mp4" for camera in PLAN] + ["ground_truth.json"]


def stamp_matches(out_dir, fingerprint):
    """True when the stamp names the same inputs and every output still has its recorded hash."""
    try:
        stamp = json.loads((out_dir / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return False
    outputs = stamp.get("outputs", {})
    return (stamp.get("inputs") == fingerprint and set(outputs) == set(output_paths())
            and all((out_dir / rel).is_file() and sha256_of(out_dir / rel) == digest
                    for rel, digest in outputs.items()))


def generate(out_dir, pictures):
    """Encode the three clips in parallel and write the ground truth; each output lands by rename."""
    jobs = []
    for camera in PLAN:
        folder = out_dir / camera
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{camera}-1.partial.mp4"
        jobs.append((camera, partial, subprocess.Popen(encode_command(camera, pictures, partial))))
    failed = [camera for camera, _, process in jobs if process.wait() != 0]
    if failed:
        fail("ffmpeg failed to encode " + ", ".join(failed))
    for camera, partial, _ in jobs:
        partial.replace(out_dir / camera / f"{camera}-1.mp4")
    partial_truth = out_dir / ".ground_truth.partial.json"
    partial_truth.write_text(json.dumps(ground_truth(), separators=(",", ":")) + "\n")
    partial_truth.replace(out_dir / "ground_truth.json")


def main():
    """Check the tools and the plan, then regenerate OUT_DIR unless its stamp still matches."""
    if len(sys.argv) != 2:
        fail("usage: make-sample.sh OUT_DIR")
    if shutil.which("ffmpeg") is None:
        fail("ffmpeg not found on PATH (Debian/Ubuntu: apt-get install ffmpeg)")
    out_dir = Path(sys.argv[1])
    check_plan()
    fingerprint = inputs_fingerprint()
    if stamp_matches(out_dir, fingerprint):
        print(f"make-sample: {out_dir} is up to date")
        return
    pictures = cache_dir()
    if not pictures_are_cached(pictures):
        fetch_pictures(pictures)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAMP_NAME).unlink(missing_ok=True)
    generate(out_dir, pictures)
    stamp = {"inputs": fingerprint,
             "outputs": {rel: sha256_of(out_dir / rel) for rel in output_paths()}}
    (out_dir / STAMP_NAME).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
    print(f"make-sample: wrote {', '.join(output_paths())} in {out_dir}")


if __name__ == "__main__":
    main()
