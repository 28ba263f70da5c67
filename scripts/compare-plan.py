#!/usr/bin/env python3
"""Compares `frigate-buffer plan` with the previous service's own planning functions.

The previous service (frigate-event-buffer) plans its summary in Python: `timeline_ema` picks the
camera of every slice, `compilation_math` computes and smooths the crops. This script loads those
two modules from a checkout of that project (nothing else of it: they are pure functions), runs
them the way its compile step does, and compares the result with `frigate-buffer plan --json` on
the same CE folders: the same cameras and slice times, crops within a tolerance.

It generates the CE folders itself (seeded, reproducible): 2 to 4 cameras of different sizes,
people who walk in and out, boxes whose stored centerpoint is not their midpoint, empty stretches.

SPEC.md keeps three deliberate departures from the previous service, and this script applies them
to its functions' results, each in a few lines of its own (`merge_short_runs`, `fit_oversize`, the
uncapped grid): the sample grid is not capped at 45 samples (§6.1); a short camera run merges into
the camera of the sample before it after earlier merges (§6.5); a smoothed crop larger than the
frame is scaled down on both sides together, not clamped side by side (§7, which stretched the
picture).

usage: scripts/compare-plan.py PREVIOUS_CHECKOUT [--ces N] [--seed S] [--binary PATH] [--keep DIR]
exit status: 0 when every CE agrees, 1 otherwise.
"""

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import types
from pathlib import Path

CROP_TOLERANCE_PX = 2
SIZES = [(1920, 1080), (1280, 720), (640, 480), (2560, 1440), (1280, 960)]


def load_previous(checkout: Path):
    """Loads the previous service's constants, timeline_ema and compilation_math modules by
    file, under a bare package so its service package's other imports are not needed."""
    source = checkout / "src" / "frigate_buffer"
    package = types.ModuleType("frigate_buffer")
    package.__path__ = [str(source)]
    services = types.ModuleType("frigate_buffer.services")
    services.__path__ = [str(source / "services")]
    sys.modules["frigate_buffer"] = package
    sys.modules["frigate_buffer.services"] = services

    def load(name: str, path: Path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    load("frigate_buffer.constants", source / "constants.py")
    timeline = load("frigate_buffer.services.timeline_ema", source / "services" / "timeline_ema.py")
    math_ = load("frigate_buffer.services.compilation_math", source / "services" / "compilation_math.py")
    return timeline, math_


def person(rng: random.Random, width: int, height: int, x: float, y: float, scale: float) -> dict:
    w, h = width * scale * 0.4, height * scale
    x1, y1 = max(0.0, x - w / 2), max(0.0, y - h / 2)
    x2, y2 = min(float(width), x + w / 2), min(float(height), y + h / 2)
    # Frigate-like: the stored centerpoint is near, not at, the box's midpoint.
    centre = [(x1 + x2) / 2 + rng.uniform(-12, 12), (y1 + y2) / 2 + rng.uniform(-12, 12)]
    return {
        "label": "person",
        "score": round(rng.uniform(0.5, 0.95), 4),
        "bbox": [round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)],
        "centerpoint": [round(centre[0], 2), round(centre[1], 2)],
        "area": int((x2 - x1) * (y2 - y1)),
    }


def make_ce(folder: Path, rng: random.Random) -> None:
    """Writes 2–4 cameras' detection.json: 20 fps, every 5th frame, 20–60 s."""
    seconds = rng.uniform(20, 60)
    cameras = rng.sample(["front_door", "driveway", "backyard", "garage"], rng.randint(2, 4))
    for camera in cameras:
        width, height = rng.choice(SIZES)
        visits = []
        for _ in range(rng.randint(0, 3)):
            start = rng.uniform(0, seconds * 0.8)
            visits.append((start, start + rng.uniform(2, seconds * 0.6)))
        walkers = [
            {"x": rng.uniform(0.1, 0.9) * width, "y": rng.uniform(0.3, 0.7) * height,
             "vx": rng.uniform(-0.08, 0.08) * width, "scale": rng.uniform(0.15, 0.7), "visit": v}
            for v in visits
        ]
        entries = []
        frame = 0
        while frame / 20.0 <= seconds:
            t = frame / 20.0
            detections = []
            for walker in walkers:
                start, end = walker["visit"]
                if start <= t <= end:
                    x = min(max(walker["x"] + walker["vx"] * (t - start), 0.05 * width), 0.95 * width)
                    detections.append(person(rng, width, height, x, walker["y"], walker["scale"]))
            entries.append({"frame_number": frame, "timestamp_sec": round(t, 6),
                            "detections": detections, "motion": []})
            frame += 5
        (folder / camera).mkdir(parents=True)
        sidecar = {"native_width": width, "native_height": height, "model": "nanodet_coco80_416",
                   "frame_interval": 5, "fps": 20.0, "entries": entries}
        (folder / camera / "detection.json").write_text(json.dumps(sidecar))


def merge_short_runs(cameras: list[str], min_len: int = 5) -> list[str]:
    """SPEC §6.5: a run shorter than `min_len` samples takes the camera of the sample before it,
    as already merged; the first run takes the next run's camera."""
    runs, i = [], 0
    while i < len(cameras):
        start = i
        while i < len(cameras) and cameras[i] == cameras[start]:
            i += 1
        runs.append((start, i - start))
    merged = list(cameras)
    for index, (start, length) in enumerate(runs):
        if length >= min_len:
            continue
        if index == 0:
            if len(runs) > 1:
                merged[start:start + length] = [cameras[runs[1][0]]] * length
        else:
            merged[start:start + length] = [merged[start - 1]] * length
    return merged


def fit_oversize(smoothed, raw, width: int, height: int, aspect: float):
    """SPEC §7: where the previous service clamped one side of a smoothed crop to the frame (so the
    picture would be stretched), scale its size down on both sides together instead, centred on
    the raw crop's centre as before. Other crops are returned unchanged."""
    x, y, w, h = smoothed
    if h >= height - 1 and w > h * aspect + 0.5:  # the height was clamped, not the width
        w_f, h_f = float(w), w / aspect
    elif w >= width - 1 and h > w / aspect + 0.5:  # the width was clamped, not the height
        w_f, h_f = h * aspect, float(h)
    else:
        return tuple(smoothed)
    scale = min(1.0, width / w_f, height / h_f)
    nw, nh = max(1, int(w_f * scale) & ~1), max(1, int(h_f * scale) & ~1)
    cx, cy = raw[0] + raw[2] / 2.0, raw[1] + raw[3] / 2.0
    nx = max(0, min(width - nw, int(cx - nw / 2.0)))
    ny = max(0, min(height - nh, int(cy - nh / 2.0)))
    return (nx, ny, nw, nh)


def previous_plan(timeline, math_, folder: Path, global_end: float, primary: str | None) -> list[dict]:
    """The previous service's slices and crops for `folder`, with its default settings: its
    compile step's calls, in its order."""
    sidecars = {}
    for sidecar in sorted(folder.glob("*/detection.json")):
        sidecars[sidecar.parent.name] = json.loads(sidecar.read_text())
    # The previous service listed cameras in directory order, and its arg-max takes the first of
    # equal scores (all zero before anyone appears). This product breaks such ties towards the
    # camera shown, then the primary: listing the primary first gives the same start.
    cameras = sorted(sidecars, key=lambda camera: (camera != primary, camera))
    for data in sidecars.values():
        if data["entries"]:
            global_end = max(global_end, float(data["entries"][-1]["timestamp_sec"]))
    native = {cam: (sidecars[cam]["native_width"], sidecars[cam]["native_height"]) for cam in cameras}

    def person_area(camera: str, t: float) -> float:
        entries = sidecars[camera]["entries"]
        if not entries:
            return 0.0
        nearest = min(entries, key=lambda e: abs(e["timestamp_sec"] - t))
        return sum(float(d.get("area") or 0) for d in nearest["detections"]
                   if d.get("label", "").lower() in ("person", "people", "pedestrian"))

    times = timeline.build_dense_times(2.0, 10**9, 2.0, global_end)  # §6.1: no cap
    assignments = timeline.build_phase1_assignments(
        times, cameras, person_area, native, ema_alpha=0.4, primary_bias_multiplier=1.2,
        primary_camera=primary, hysteresis_margin=1.15, min_segment_frames=1)
    if not assignments:
        return []
    merged = merge_short_runs([camera for _, camera in assignments])
    assignments = [(t, camera) for (t, _), camera in zip(assignments, merged)]
    slices = timeline.assignments_to_slices(assignments, global_end)
    slices = timeline._trim_slices_to_action_window(
        slices, {cam: sidecars[cam]["entries"] for cam in cameras}, global_end)
    for i, piece in enumerate(slices):
        data = sidecars[piece["camera"]]
        stamps = sorted(float(e["timestamp_sec"]) for e in data["entries"])
        crop = lambda t: math_.calculate_crop_at_time(  # noqa: E731
            data, t, data["native_width"], data["native_height"], 1440, 1080,
            timestamps_sorted=stamps, tracking_target_frame_percent=40)
        piece["crop_start"] = crop(piece["start_sec"])
        last_of_run = i + 1 < len(slices) and slices[i + 1]["camera"] != piece["camera"]
        piece["crop_end"] = piece["crop_start"] if last_of_run else crop(piece["end_sec"])
        piece["native_width"], piece["native_height"] = data["native_width"], data["native_height"]
    raw = [(piece["crop_start"], piece["crop_end"]) for piece in slices]
    math_.smooth_zoom_ema(slices, 0.25, 1440, 1080)
    for piece, (raw_start, raw_end) in zip(slices, raw):
        size = (piece["native_width"], piece["native_height"])
        piece["crop_start"] = fit_oversize(piece["crop_start"], raw_start, *size, 1440 / 1080)
        piece["crop_end"] = fit_oversize(piece["crop_end"], raw_end, *size, 1440 / 1080)
    for i in range(len(slices) - 1):
        if slices[i + 1]["camera"] == slices[i]["camera"]:
            slices[i + 1]["crop_start"] = slices[i]["crop_end"]
    return slices


def compare(ours: list[dict], theirs: list[dict]) -> tuple[list[str], int]:
    """Differences (one line each) and the largest crop difference in pixels."""
    problems, worst = [], 0
    if len(ours) != len(theirs):
        return [f"{len(ours)} slices, previous service {len(theirs)}"], worst
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a["camera"] != b["camera"]:
            problems.append(f"slice {i}: camera {a['camera']}, previous service {b['camera']}")
        if abs(a["start_sec"] - b["start_sec"]) > 1e-6 or abs(a["end_sec"] - b["end_sec"]) > 1e-6:
            problems.append(f"slice {i}: {a['start_sec']}–{a['end_sec']} s, previous service "
                            f"{b['start_sec']}–{b['end_sec']} s")
        for key in ("crop_start", "crop_end"):
            difference = max(abs(int(p) - int(q)) for p, q in zip(a[key], b[key]))
            worst = max(worst, difference)
            if difference > CROP_TOLERANCE_PX:
                problems.append(f"slice {i} ({a['camera']}): {key} {a[key]}, previous service "
                                f"{list(b[key])}")
    return problems, worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("previous", type=Path, help="a checkout of frigate-event-buffer")
    parser.add_argument("--ces", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", type=Path, default=Path("target/release/frigate-buffer"))
    parser.add_argument("--keep", type=Path, help="write the generated CEs here and keep them")
    args = parser.parse_args()
    timeline, math_ = load_previous(args.previous)
    rng = random.Random(args.seed)
    root = args.keep or Path(tempfile.mkdtemp(prefix="compare-plan-"))
    agreed, worst_overall, slices_total = 0, 0, 0
    for n in range(args.ces):
        folder = root / f"ce-{n:04d}"
        make_ce(folder, rng)
        run = subprocess.run([str(args.binary), "plan", str(folder), "--json"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{folder.name}: plan failed: {run.stderr.strip()}")
            continue
        ours = json.loads(run.stdout)
        theirs = previous_plan(timeline, math_, folder, ours["global_end"], ours["primary_camera"])
        problems, worst = compare(ours["slices"], theirs)
        worst_overall = max(worst_overall, worst)
        slices_total += len(ours["slices"])
        if problems:
            print(f"{folder.name}: " + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else ""))
        else:
            agreed += 1
    print(f"{agreed} of {args.ces} CEs agree ({slices_total} slices): same cameras and slice times, "
          f"crops within {CROP_TOLERANCE_PX} px; largest crop difference {worst_overall} px")
    return 0 if agreed == args.ces else 1


if __name__ == "__main__":
    sys.exit(main())
