//! Start-up choice of the backend of every stage, with the reason for each.
//!
//! Owns the decision only (what `doctor` prints and what the pipeline is
//! built with): whether the NVIDIA backend can run here (driver, NVDEC, NVRTC,
//! a device, ONNX Runtime with the CUDA provider), on which devices, and what
//! encodes (NVENC through FFmpeg once a trial encode has succeeded, else libx264).
//! Building the backends is left to the caller.

use crate::config::{AcceleratorChoice, Config, PipelinePreset, TensorRtPrecision};
use crate::encode::ffmpeg_pipe::H264Codec;
use crate::encode::nvenc_trial::{trial_encode, TRIAL_FRAMES, TRIAL_TIME_LIMIT};
use crate::encode::{PixelFormat, VideoFormat};
use crate::gpu::driver_probe::{nvrtc_present, probe_driver, DriverProbe};
use crate::gpu::nvenc::{probe_device, NvencProbe};
use crate::inference::gpu_providers::provider_availability;
use crate::inference::onnxruntime_library::OnnxRuntime;
use crate::media::ffmpeg_tool;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The backend one stage will use, and why.
#[derive(Debug, Clone, Serialize)]
pub struct StageChoice {
    /// Stage name (`decode`, `detect`, `render`, `encode`).
    pub stage: &'static str,
    /// Backend name.
    pub backend: String,
    /// Why this backend.
    pub reason: String,
}

/// The backends chosen for a run.
#[derive(Debug, Clone, Serialize)]
pub struct BackendPlan {
    /// Accelerator backend of the owner threads (`nvidia` or `cpu`).
    pub accelerator: &'static str,
    /// CUDA devices that each get a GPU owner (empty on the CPU backend).
    pub gpu_devices: Vec<usize>,
    /// Per-stage choices.
    pub stages: Vec<StageChoice>,
    /// The encoder of the summary video.
    pub encoder: H264Codec,
    /// `ffmpeg`, when installed (CPU decode, software encode, preview GIF).
    #[serde(skip)]
    pub ffmpeg: Option<PathBuf>,
}

/// Why no backend plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// The `nvidia` preset was chosen but the GPU path cannot run here.
    #[error("pipeline preset '{preset}' needs the NVIDIA backend, which cannot run here: {reason}")]
    NvidiaUnavailable {
        /// The preset name.
        preset: String,
        /// Why not.
        reason: String,
    },
    /// FFmpeg is needed by the CPU decoder and encoder and is missing.
    #[error("ffmpeg not found on PATH (or $FFMPEG): the CPU decoder and encoder need it; install it (apt-get install ffmpeg)")]
    FfmpegMissing,
}

/// What the NVIDIA backend needs, checked in order; the first missing piece is the reason.
fn gpu_devices(
    driver: &DriverProbe,
    runtime: Option<&OnnxRuntime>,
    wanted: Option<&[usize]>,
) -> Result<Vec<usize>, String> {
    driver
        .cuda
        .clone()
        .map_err(|missing| format!("no NVIDIA driver: {missing}"))?;
    driver.nvdec.clone().map_err(|missing| format!("no NVDEC: {missing}"))?;
    if !nvrtc_present() {
        return Err(
            "NVRTC (libnvrtc.so, from the CUDA toolkit) not found: the image kernels are compiled with it".into(),
        );
    }
    let count = cudarc::driver::CudaContext::device_count().map_err(|err| format!("CUDA: {err}"))?;
    let visible: Vec<usize> = (0..count.max(0) as usize).collect();
    if visible.is_empty() {
        return Err("the NVIDIA driver sees no GPU".into());
    }
    let runtime = runtime.ok_or("ONNX Runtime is not loaded")?;
    if !provider_availability(runtime).cuda {
        return Err(format!(
            "ONNX Runtime {} ({}) has no CUDA execution provider: install the GPU build (onnxruntime-gpu)",
            runtime.version,
            runtime.path.display()
        ));
    }
    match wanted {
        None => Ok(visible),
        Some(list) => match list.iter().find(|device| !visible.contains(device)) {
            Some(missing) => Err(format!(
                "gpu_devices names device {missing}, but only {} are visible",
                visible.len()
            )),
            None => Ok(list.to_vec()),
        },
    }
}

/// The CUDA device whose encoder could take the summary (the first GPU owner's, else
/// device 0), or why there is none.
fn nvenc_device(driver: &DriverProbe, preset: &PipelinePreset, gpu: Option<usize>) -> Result<usize, String> {
    if preset.accelerator == AcceleratorChoice::Cpu {
        return Err(format!("pipeline preset '{}' selects the CPU", preset.name));
    }
    if let Err(missing) = &driver.nvenc {
        return Err(format!("no hardware encoder: {missing}"));
    }
    driver
        .cuda
        .clone()
        .map_err(|missing| format!("no NVIDIA driver: {missing}"))?;
    let device = gpu.unwrap_or(0);
    match probe_device(device) {
        Err(err) => Err(format!("NVENC not probed: {err}")),
        Ok(NvencProbe::Unavailable(err)) => Err(err.to_string()),
        Ok(NvencProbe::Available { .. }) => Ok(device),
    }
}

/// The summary's encoder: NVENC on `nvenc`'s device when a trial encode of the summary's
/// size (YUV 4:2:0 frames) succeeds there, else libx264; with the reason either way.
fn choose_encoder(ffmpeg: &Path, nvenc: Result<usize, String>, summary: VideoFormat) -> (H264Codec, String) {
    let device = match nvenc {
        Ok(device) => device,
        Err(why) => return (H264Codec::Libx264, why),
    };
    let nvenc = H264Codec::Nvenc { device };
    let trial = VideoFormat {
        pixels: PixelFormat::Yuv420p,
        ..summary
    };
    match trial_encode(ffmpeg, nvenc, trial, TRIAL_TIME_LIMIT) {
        Ok(()) => (
            nvenc,
            format!(
                "a trial encode of {TRIAL_FRAMES} frames of {}x{} on GPU {device} succeeded",
                summary.width, summary.height
            ),
        ),
        Err(why) => (
            H264Codec::Libx264,
            format!("the NVENC trial encode on GPU {device} failed: {why}"),
        ),
    }
}

/// Chooses the backends for `config` on this machine, given the loaded ONNX Runtime.
pub fn select_backends(config: &Config, runtime: Option<&OnnxRuntime>) -> Result<BackendPlan, SelectionError> {
    let driver = probe_driver();
    let preset = &config.pipeline;
    let gpu = match preset.accelerator {
        AcceleratorChoice::Cpu => Err(format!("pipeline preset '{}' selects the CPU", preset.name)),
        _ => gpu_devices(&driver, runtime, preset.gpu_devices.as_deref()),
    };
    if let (AcceleratorChoice::Nvidia, Err(reason)) = (preset.accelerator, &gpu) {
        return Err(SelectionError::NvidiaUnavailable {
            preset: preset.name.clone(),
            reason: reason.clone(),
        });
    }
    let ffmpeg = ffmpeg_tool::locate("ffmpeg");
    let ffmpeg_path = ffmpeg.as_ref().ok_or(SelectionError::FfmpegMissing)?;
    let first_gpu = gpu.as_ref().ok().and_then(|devices| devices.first().copied());
    let summary = VideoFormat {
        pixels: PixelFormat::Yuv420p,
        width: config.summary.width,
        height: config.summary.height,
        fps: config.summary.fps,
    };
    let (encoder, encoder_reason) = choose_encoder(ffmpeg_path, nvenc_device(&driver, preset, first_gpu), summary);
    let encode = StageChoice {
        stage: "encode",
        backend: format!("{} (ffmpeg)", encoder.encoder_name()),
        reason: encoder_reason,
    };
    let (accelerator, gpu_devices, mut stages) = match gpu {
        Ok(devices) => {
            let why = format!("GPU owner on CUDA device(s) {devices:?}");
            let detector = match preset.tensorrt {
                TensorRtPrecision::Off => "onnxruntime-cuda (device buffers)".to_string(),
                precision => format!(
                    "onnxruntime-tensorrt {precision:?} when the runtime has TensorRT, else onnxruntime-cuda (device buffers)"
                )
                .to_lowercase(),
            };
            let stages = vec![
                choice("decode", "nvdec (NV12 stays in device memory)", &why),
                choice("detect", &detector, &why),
                choice(
                    "render",
                    "cuda kernels (letterbox, bicubic crop, motion mask, text)",
                    &why,
                ),
                choice("ai frames", "cuda kernels + nvjpeg", &why),
            ];
            ("nvidia", devices, stages)
        }
        Err(why_cpu) => {
            let stages = vec![
                choice("decode", &format!("ffmpeg ({})", ffmpeg_path.display()), &why_cpu),
                choice("detect", "onnxruntime-cpu", &why_cpu),
                choice("render", "cpu (bicubic crop/resize, text overlay)", &why_cpu),
            ];
            ("cpu", Vec::new(), stages)
        }
    };
    stages.push(encode);
    Ok(BackendPlan {
        accelerator,
        gpu_devices,
        stages,
        encoder,
        ffmpeg,
    })
}

fn choice(stage: &'static str, backend: &str, reason: &str) -> StageChoice {
    StageChoice {
        stage,
        backend: backend.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::stand_in_ffmpeg::{failing_encoder, working_encoder};

    fn probe(cuda: Result<(), String>, nvdec: Result<(), String>) -> DriverProbe {
        DriverProbe {
            cuda,
            nvdec,
            nvenc: Err("libnvidia-encode.so.1 not found".into()),
        }
    }

    #[test]
    fn a_missing_driver_library_means_the_cpu_backend_and_says_which() {
        let missing = probe(Err("libcuda.so.1 not found".into()), Ok(()));
        assert_eq!(
            gpu_devices(&missing, None, None).unwrap_err(),
            "no NVIDIA driver: libcuda.so.1 not found"
        );
    }

    #[test]
    fn a_driver_without_nvdec_is_named() {
        let no_nvdec = probe(Ok(()), Err("libnvcuvid.so.1 not found".into()));
        assert_eq!(
            gpu_devices(&no_nvdec, None, None).unwrap_err(),
            "no NVDEC: libnvcuvid.so.1 not found"
        );
    }

    fn preset(name: &str) -> PipelinePreset {
        PipelinePreset::resolve(name, Path::new("t")).unwrap()
    }

    const SUMMARY: VideoFormat = VideoFormat {
        pixels: PixelFormat::Rgb24,
        width: 1440,
        height: 1080,
        fps: 20,
    };

    #[test]
    fn the_encoder_reason_names_the_missing_nvenc_library_without_touching_a_gpu() {
        let missing = probe(Err("libcuda.so.1 not found".into()), Ok(()));
        assert_eq!(
            nvenc_device(&missing, &preset("auto"), Some(0)).unwrap_err(),
            "no hardware encoder: libnvidia-encode.so.1 not found"
        );
        assert_eq!(
            nvenc_device(&missing, &preset("cpu"), None).unwrap_err(),
            "pipeline preset 'cpu' selects the CPU"
        );
    }

    #[test]
    fn nvenc_encodes_the_summary_once_its_trial_encode_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = working_encoder(dir.path());
        let (codec, reason) = choose_encoder(&ffmpeg, Ok(0), SUMMARY);
        assert_eq!(codec, H264Codec::Nvenc { device: 0 });
        assert_eq!(reason, "a trial encode of 8 frames of 1440x1080 on GPU 0 succeeded");
        // The trial fed YUV 4:2:0 frames of the summary's size.
        let fed = std::fs::metadata(dir.path().join("fed")).unwrap().len();
        assert_eq!(fed, 8 * 1440 * 1080 * 3 / 2);
    }

    #[test]
    fn libx264_encodes_the_summary_when_the_nvenc_trial_fails_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let ffmpeg = failing_encoder(dir.path(), "OpenEncodeSessionEx failed: no capable devices found");
        let (codec, reason) = choose_encoder(&ffmpeg, Ok(0), SUMMARY);
        assert_eq!(codec, H264Codec::Libx264);
        assert!(
            reason.starts_with("the NVENC trial encode on GPU 0 failed: ffmpeg exited with exit status: 187"),
            "{reason}"
        );
        assert!(reason.contains("no capable devices found"), "{reason}");
    }

    #[test]
    fn without_an_nvenc_device_no_trial_runs() {
        let never_run = Path::new("/nonexistent/ffmpeg");
        let (codec, reason) = choose_encoder(never_run, Err("no hardware encoder: x".into()), SUMMARY);
        assert_eq!((codec, reason.as_str()), (H264Codec::Libx264, "no hardware encoder: x"));
    }

    #[test]
    fn the_nvidia_preset_refuses_to_start_without_a_gpu_and_auto_falls_back() {
        // This machine (and CI) has no NVIDIA driver.
        if probe_driver().cuda.is_ok() {
            return;
        }
        let mut config = Config::defaults().unwrap();
        config.pipeline = crate::config::PipelinePreset::resolve("nvidia", std::path::Path::new("t")).unwrap();
        let err = select_backends(&config, None).unwrap_err().to_string();
        assert!(
            err.starts_with("pipeline preset 'nvidia' needs the NVIDIA backend"),
            "{err}"
        );
        assert!(err.contains("libcuda.so.1"), "{err}");
        config.pipeline = crate::config::PipelinePreset::resolve("auto", std::path::Path::new("t")).unwrap();
        let plan = select_backends(&config, None).expect("ffmpeg is installed where the tests run");
        assert_eq!(plan.accelerator, "cpu");
        assert!(plan.gpu_devices.is_empty());
        assert!(plan.stages[0].reason.contains("libcuda.so.1"), "{:?}", plan.stages[0]);
    }
}
