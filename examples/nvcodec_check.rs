//! A check of the NVIDIA codec libraries on a GPU machine: the NVENC probe, then one
//! nvJPEG encode of a 1280x720 gradient written to a file, then the time of 20 encodes.
//!
//! Usage: `cargo run --release --example nvcodec_check -- OUT.jpg` (or run the built
//! binary directly). Prints one line per step; on failure, one line on stderr and a
//! non-zero exit status.

use std::error::Error;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cudarc::driver::{CudaContext, DevicePtr};
use frigate_buffer::gpu::nvenc::probe_nvenc;
use frigate_buffer::gpu::nvjpeg::NvjpegEncoder;

/// Width of the test image.
const WIDTH: u32 = 1280;
/// Height of the test image.
const HEIGHT: u32 = 720;
/// JPEG quality of every encode.
const QUALITY: u8 = 90;
/// Encodes in the timed run.
const TIMED_ENCODES: u32 = 20;

fn main() -> ExitCode {
    let Some(output) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("nvcodec_check: usage: nvcodec_check OUT.jpg");
        return ExitCode::from(2);
    };
    match run(&output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nvcodec_check: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every check in order, stopping at the first failure.
fn run(output: &Path) -> Result<(), Box<dyn Error>> {
    let context = CudaContext::new(0).map_err(|err| format!("CUDA device 0: open failed: {err}"))?;
    let stream = context
        .new_stream()
        .map_err(|err| format!("CUDA device 0: create stream failed: {err}"))?;
    // SAFETY: `context` is the live primary context of device 0, held across the call.
    println!("{}", unsafe { probe_nvenc(context.cu_ctx().cast::<c_void>()) });

    let image = stream
        .clone_htod(&gradient_rgb(WIDTH, HEIGHT))
        .map_err(|err| format!("CUDA device 0: copy of the test image failed: {err}"))?;
    let (device_ptr, _image_in_use) = image.device_ptr(&stream);
    let pitch_bytes = WIDTH as usize * 3;

    let mut encoder = NvjpegEncoder::new(&stream)?;
    let jpeg = encoder.encode_rgb_interleaved(device_ptr, pitch_bytes, WIDTH, HEIGHT, QUALITY)?;
    std::fs::write(output, &jpeg).map_err(|err| format!("{}: write failed: {err}", output.display()))?;
    println!(
        "nvJPEG: {WIDTH}x{HEIGHT} RGB at quality {QUALITY}: {} bytes written to {}",
        jpeg.len(),
        output.display()
    );

    let started = Instant::now();
    for _ in 0..TIMED_ENCODES {
        encoder.encode_rgb_interleaved(device_ptr, pitch_bytes, WIDTH, HEIGHT, QUALITY)?;
    }
    let per_encode_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(TIMED_ENCODES);
    println!("nvJPEG: {per_encode_ms:.3} ms per encode ({TIMED_ENCODES} encodes, bitstream fetched each time)");
    Ok(())
}

/// A `width`x`height` interleaved RGB image: red rises left to right, green top to
/// bottom, blue along the diagonal, so a wrong channel order or pitch shows at a glance.
fn gradient_rgb(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let red = x * 255 / (width - 1);
            let green = y * 255 / (height - 1);
            let blue = (x + y) * 255 / (width + height - 2);
            pixels.extend([red, green, blue].map(|channel| u8::try_from(channel).unwrap_or(u8::MAX)));
        }
    }
    pixels
}
