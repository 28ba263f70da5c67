//! The previous service's GPU design, rebuilt from this crate's parts so that it can be
//! timed on the same machine, clips and model as the NVIDIA backend:
//! - one global GPU lock, held for a whole clip in the detection pass and for a whole
//!   2-s slice in the compile;
//! - a new decoder per clip (detection) and per 2-s slice (compile, starting at the
//!   slice's keyframe);
//! - every decoded frame copied to the host; the detector fed from host memory
//!   (ONNX Runtime's CUDA provider copies it back); every summary frame copied to the
//!   host and piped as RGB to FFmpeg libx264 `veryfast`.
//!
//! Cameras run on their own threads, as the previous service's did, and queue on the lock.
//!
//! Usage (GPU machine, ONNX Runtime GPU build in `ORT_DYLIB_PATH`, `ffmpeg` on PATH):
//! `previous_design CE_DIR` prints the detection-pass and compile times.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use cudarc::driver::{CudaSlice, DevicePtr};
use frigate_buffer::ce_folder;
use frigate_buffer::config::Config;
use frigate_buffer::detect::letterbox::Letterbox;
use frigate_buffer::gpu::cuda_context::GpuContext;
use frigate_buffer::gpu::kernels::GpuKernels;
use frigate_buffer::gpu::nvdec::{NvcuvidApi, NvdecCodec, NvdecSession};
use frigate_buffer::inference::gpu_providers::GpuProviders;
use frigate_buffer::inference::{onnxruntime_library, DetectorSession, ModelFile};
use frigate_buffer::media::mp4::Mp4VideoTrack;
use frigate_buffer::render::crop_resize::{CropRect, PixelRect};

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Detect every n-th frame, as the previous service did.
const FRAME_INTERVAL: u64 = 5;
/// Summary slice length.
const SLICE_SECONDS: f64 = 2.0;
/// Summary frame size.
const OUTPUT_SIZE: (u32, u32) = (1440, 1080);

/// The one lock every GPU step of the previous design took.
static GPU_LOCK: Mutex<()> = Mutex::new(());

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with("--"))
    else {
        eprintln!("usage: previous_design CE_DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("previous_design: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path) -> BenchResult<()> {
    let clips: Vec<PathBuf> = ce_folder::scan(dir)?.cameras.into_iter().map(|c| c.clip).collect();
    let api = Arc::new(NvcuvidApi::load()?);
    let config = Config::defaults()?;
    let model = Arc::new(ModelFile::read(
        &config.detector.model_path,
        config.detector.model_sha256.as_deref(),
    )?);

    // Every camera thread opens its decoder context, kernels and detector first; timing
    // starts when all are ready, as in a long-running service.
    let ready = Arc::new(Barrier::new(clips.len() + 1));
    let threads: Vec<_> = clips
        .iter()
        .cloned()
        .map(|clip| {
            let (api, model, config, ready) =
                (Arc::clone(&api), Arc::clone(&model), config.clone(), Arc::clone(&ready));
            std::thread::spawn(move || detect_clip(&clip, &api, &model, &config, &ready))
        })
        .collect();
    ready.wait();
    let started = Instant::now();
    let mut decoded = 0;
    for thread in threads {
        decoded += thread.join().map_err(|_| "a detection thread panicked")??;
    }
    let detect_seconds = started.elapsed().as_secs_f64();
    println!(
        "previous design, detection pass: {decoded} frames in {detect_seconds:.2} s = {:.0} frames/s",
        decoded as f64 / detect_seconds
    );

    let demuxed: Vec<_> = clips.iter().map(|clip| demux(clip)).collect::<BenchResult<_>>()?;
    let context = GpuContext::open(0)?;
    let kernels = GpuKernels::compile(&context)?;
    let started = Instant::now();
    let frames = compile(
        &demuxed,
        &context,
        &kernels,
        &api,
        &dir.join("previous_design_summary.mp4"),
    )?;
    let compile_seconds = started.elapsed().as_secs_f64();
    println!(
        "previous design, compile: {frames} frames in {compile_seconds:.2} s = {:.0} frames/s",
        frames as f64 / compile_seconds
    );
    Ok(())
}

/// A clip in memory: codec, access units, keyframe sample indices, size, frame rate.
type Demuxed = (NvdecCodec, Vec<Vec<u8>>, Vec<u64>, (u32, u32), f64);

/// Every access unit of `clip`, with the codec and the keyframes' sample indices.
fn demux(clip: &Path) -> BenchResult<Demuxed> {
    let mut track = Mp4VideoTrack::open(clip)?;
    let codec = NvdecCodec::from_track_codec(&track.codec()).ok_or("codec not decoded by NVDEC")?;
    let mut units = Vec::with_capacity(track.sample_count());
    for index in 0..track.sample_count() {
        let mut unit = Vec::new();
        track.read_annexb(index, &mut unit)?;
        units.push(unit);
    }
    Ok((
        codec,
        units,
        track.keyframe_frame_indices(),
        (track.width(), track.height()),
        track.fps(),
    ))
}

fn device_address<T>(buffer: &CudaSlice<T>, stream: &cudarc::driver::CudaStream) -> u64 {
    buffer.device_ptr(stream).0
}

/// One camera's detection pass, holding the global lock for the whole clip.
fn detect_clip(
    clip: &Path,
    api: &Arc<NvcuvidApi>,
    model: &ModelFile,
    config: &Config,
    ready: &Barrier,
) -> BenchResult<u64> {
    let (codec, units, _, (width, height), _) = demux(clip)?;
    let context = GpuContext::open(0)?;
    let kernels = GpuKernels::compile(&context)?;
    let stream = context.new_stream()?;
    let runtime = onnxruntime_library::load(config.detector.onnxruntime_library.as_deref())?;
    let providers = GpuProviders {
        device: 0,
        stream: stream.cu_stream().cast(),
        tensorrt: None,
    };
    let (mut session, _) = DetectorSession::new_gpu(runtime, model, &providers)?;
    let letterbox = Letterbox::new(width, height, session.input_width, session.input_height)?;
    let input: CudaSlice<f32> = stream.alloc_zeros(session.input_len())?;
    let mut host_input = vec![0f32; session.input_len()];
    let mut host_frame = Vec::new();
    let mut output = Vec::new();
    session.warm_up()?;
    ready.wait();
    let _gpu = GPU_LOCK.lock().map_err(|_| "lock poisoned")?;
    let mut decoder = NvdecSession::on_stream(&context, Arc::clone(api), codec, Arc::clone(&stream))?;
    let mut index = 0u64;
    for unit in units.iter().map(Some).chain(std::iter::once(None)) {
        match unit {
            Some(unit) => decoder.decode(unit, index as i64)?,
            None => decoder.flush()?,
        }
        while let Some(picture) = decoder.next_picture() {
            let frame = picture.map()?;
            let nv12 = frame.picture();
            // The previous design copied every decoded frame to the host.
            let bytes = frame.pitch() as usize * frame.height() as usize * 3 / 2;
            host_frame.resize(bytes, 0u8);
            // SAFETY: the mapped surface holds `bytes` bytes (luma then chroma rows).
            unsafe {
                cudarc::driver::result::memcpy_dtoh_async(&mut host_frame, frame.luma_ptr(), stream.cu_stream())
            }?;
            if index.is_multiple_of(FRAME_INTERVAL) {
                kernels.letterbox_chw(&stream, &nv12, &letterbox, device_address(&input, &stream))?;
                stream.memcpy_dtoh(&input, host_input.as_mut_slice())?;
            }
            stream.synchronize()?;
            frame.unmap()?;
            if index.is_multiple_of(FRAME_INTERVAL) {
                session.run(&host_input, 1, &mut output)?;
            }
            index += 1;
        }
    }
    Ok(index)
}

/// The summary: 2-s slices taking the cameras in turn, each slice under the global lock
/// with a new decoder started at its keyframe, every frame copied to the host and piped.
fn compile(
    demuxed: &[Demuxed],
    context: &GpuContext,
    kernels: &GpuKernels,
    api: &Arc<NvcuvidApi>,
    output: &Path,
) -> BenchResult<u64> {
    let duration = demuxed
        .iter()
        .map(|(_, units, _, _, fps)| units.len() as f64 / fps)
        .fold(f64::MAX, f64::min);
    let (out_width, out_height) = OUTPUT_SIZE;
    let mut ffmpeg = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
        ])
        .args(["-s", &format!("{out_width}x{out_height}"), "-r", "20", "-i", "pipe:0"])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        ])
        .arg(output)
        .stdin(Stdio::piped())
        .spawn()?;
    let mut pipe = ffmpeg.stdin.take().ok_or("no ffmpeg stdin")?;
    let stream = context.new_stream()?;
    let frame_len = out_width as usize * out_height as usize * 3;
    let rgb: CudaSlice<u8> = stream.alloc_zeros(frame_len)?;
    let mut frames = 0u64;
    let slices = (duration / SLICE_SECONDS).floor() as usize;
    for slice in 0..slices {
        let (codec, units, keyframes, (width, height), fps) = &demuxed[slice % demuxed.len()];
        let first = (slice as f64 * SLICE_SECONDS * fps).round() as u64;
        let last = ((slice + 1) as f64 * SLICE_SECONDS * fps).round() as u64;
        let start = keyframes.iter().copied().filter(|&k| k <= first).max().unwrap_or(0);
        let mut slice_frames: Vec<Vec<u8>> = Vec::new();
        {
            let _gpu = GPU_LOCK.lock().map_err(|_| "lock poisoned")?;
            let mut decoder = NvdecSession::on_stream(context, Arc::clone(api), *codec, Arc::clone(&stream))?;
            let mut index = start;
            let tail = units[start as usize..units.len().min(last as usize + 4)]
                .iter()
                .map(Some);
            for unit in tail.chain(std::iter::once(None)) {
                match unit {
                    Some(unit) => decoder.decode(unit, index as i64)?,
                    None => decoder.flush()?,
                }
                while let Some(picture) = decoder.next_picture() {
                    if (first..last).contains(&index) {
                        let frame = picture.map()?;
                        let crop = CropRect {
                            x: 0.0,
                            y: 0.0,
                            width: f64::from(*width),
                            height: f64::from(*height),
                        };
                        let region = PixelRect {
                            left: 0,
                            top: 0,
                            width: out_width,
                            height: out_height,
                        };
                        kernels.crop_resize_rgb(
                            &stream,
                            &frame.picture(),
                            crop,
                            device_address(&rgb, &stream),
                            out_width * 3,
                            region,
                        )?;
                        let mut host = vec![0u8; frame_len];
                        stream.memcpy_dtoh(&rgb, host.as_mut_slice())?;
                        stream.synchronize()?;
                        frame.unmap()?;
                        slice_frames.push(host);
                    }
                    index += 1;
                }
            }
        }
        for frame in slice_frames {
            pipe.write_all(&frame)?;
            frames += 1;
        }
    }
    drop(pipe);
    let status = ffmpeg.wait()?;
    if !status.success() {
        return Err(format!("ffmpeg failed: {status}").into());
    }
    Ok(frames)
}
