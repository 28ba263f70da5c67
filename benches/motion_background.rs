//! The cost of the motion step per sampled frame (SPEC §5: blur, background difference
//! and update, threshold, dilation) on a 320×180 thumbnail, on the CPU and, where an
//! NVIDIA GPU and NVRTC are present, as the three GPU kernels.
//!
//! Usage: `cargo bench --bench motion_background` (the built binary can also be run
//! directly on a machine without Rust). The GPU figures are kernel time only: the
//! thumbnails are uploaded before timing, as the GPU backend makes them on the device.

#[path = "../tests/common/creeping_box.rs"]
mod creeping_box;

use creeping_box::{creeping_box_thumbnail, HEIGHT, WIDTH};
use cudarc::driver::DevicePtr;
use frigate_buffer::gpu::cuda_context::GpuContext;
use frigate_buffer::gpu::kernels::{mask_row_bytes, GpuKernels, MotionBuffers};
use frigate_buffer::motion::background::{alpha_fixed_point, MotionBackground, DEFAULT_BACKGROUND_ALPHA};
use frigate_buffer::motion::mask::{GreyThumbnail, DEFAULT_DIFF_THRESHOLD};
use std::error::Error;
use std::time::Instant;

/// Distinct frames of the scene (the box crosses the frame in about 120).
const SCENE_FRAMES: u32 = 240;
/// Sampled frames timed per run.
const TIMED_FRAMES: usize = 4_000;

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Microseconds per frame of the CPU background model.
fn cpu_us_per_frame(scene: &[GreyThumbnail]) -> BenchResult<f64> {
    let mut background = MotionBackground::new(WIDTH, HEIGHT, DEFAULT_BACKGROUND_ALPHA, DEFAULT_DIFF_THRESHOLD);
    background.update(&scene[0])?;
    let started = Instant::now();
    let mut moving_frames = 0usize;
    for thumbnail in scene.iter().cycle().skip(1).take(TIMED_FRAMES) {
        moving_frames += usize::from(background.update(thumbnail)?.is_some());
    }
    let elapsed = started.elapsed();
    assert_eq!(moving_frames, TIMED_FRAMES, "every frame after the first has a mask");
    Ok(elapsed.as_secs_f64() * 1e6 / TIMED_FRAMES as f64)
}

/// Microseconds per frame of the GPU kernels: back to back (throughput) and with a
/// stream synchronisation after each frame (latency, as one clip's owner loop waits).
fn gpu_us_per_frame(scene: &[GreyThumbnail]) -> BenchResult<(f64, f64)> {
    let context = GpuContext::open(0)?;
    let kernels = GpuKernels::compile(&context)?;
    let stream = context.new_stream()?;
    let pixels = (WIDTH * HEIGHT) as usize;
    let greys = scene
        .iter()
        .map(|thumbnail| stream.clone_htod(thumbnail.pixels()))
        .collect::<Result<Vec<_>, _>>()?;
    let blurred = stream.alloc_zeros::<u8>(pixels)?;
    let average = stream.alloc_zeros::<u16>(pixels)?;
    let moving = stream.alloc_zeros::<u8>(pixels)?;
    let bits = stream.alloc_zeros::<u8>(mask_row_bytes(WIDTH) as usize * HEIGHT as usize)?;
    let buffers = MotionBuffers {
        blurred: blurred.device_ptr(&stream).0,
        average: average.device_ptr(&stream).0,
        moving: moving.device_ptr(&stream).0,
    };
    let bits = bits.device_ptr(&stream).0;
    let alpha = alpha_fixed_point(DEFAULT_BACKGROUND_ALPHA);
    let step = |index: usize| {
        let grey = greys[index % greys.len()].device_ptr(&stream).0;
        kernels.motion_background(
            &stream,
            grey,
            &buffers,
            WIDTH,
            HEIGHT,
            alpha,
            DEFAULT_DIFF_THRESHOLD,
            index == 0,
            bits,
        )
    };
    // Warm-up: the first launches load the module's code.
    for index in 0..100 {
        step(index)?;
    }
    stream.synchronize()?;
    let started = Instant::now();
    for index in 1..=TIMED_FRAMES {
        step(index)?;
    }
    stream.synchronize()?;
    let back_to_back = started.elapsed().as_secs_f64() * 1e6 / TIMED_FRAMES as f64;
    let started = Instant::now();
    for index in 1..=TIMED_FRAMES {
        step(index)?;
        stream.synchronize()?;
    }
    let synchronised = started.elapsed().as_secs_f64() * 1e6 / TIMED_FRAMES as f64;
    Ok((back_to_back, synchronised))
}

fn main() {
    let scene: Vec<GreyThumbnail> = (0..SCENE_FRAMES).map(creeping_box_thumbnail).collect();
    println!("motion step per sampled frame, {WIDTH}x{HEIGHT} thumbnail, {TIMED_FRAMES} frames");
    match cpu_us_per_frame(&scene) {
        Ok(us) => println!("cpu (one thread)                  {us:8.1} µs/frame"),
        Err(err) => println!("cpu: failed: {err}"),
    }
    match gpu_us_per_frame(&scene) {
        Ok((back_to_back, synchronised)) => {
            println!("gpu kernels, back to back         {back_to_back:8.1} µs/frame");
            println!("gpu kernels, synchronised each    {synchronised:8.1} µs/frame");
        }
        Err(err) => println!("gpu: not measured: {err}"),
    }
}
