//! Start-up choice of the backend of every stage, with the reason for each.
//!
//! Owns the decision only (what `doctor` prints and what the pipeline is
//! built with): whether the NVIDIA backend can run here (driver, NVDEC, NVRTC,
//! a device, ONNX Runtime with the CUDA provider), on which devices, and what
//! encodes. Building the backends is left to the caller.

use crate::config::{AcceleratorChoice, Config, TensorRtPrecision};
use crate::gpu::driver_probe::{probe_driver, DriverProbe};
use crate::gpu::nvenc::{probe_device, NvencProbe};
use crate::inference::gpu_providers::provider_availability;
use crate::inference::onnxruntime_library::OnnxRuntime;
use crate::media::ffmpeg_tool;
use serde::Serialize;
use std::path::PathBuf;

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
    // SAFETY: only probes whether the library can be loaded; no symbol is used.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
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

/// Why the summary is software-encoded: what the NVENC probe of the first GPU answered.
fn nvenc_reason(driver: &DriverProbe, device: Option<usize>) -> String {
    if let Err(missing) = &driver.nvenc {
        return format!("no hardware encoder: {missing}");
    }
    let Some(device) = device else {
        return "no hardware encoder: the accelerator owner runs on the CPU".into();
    };
    match probe_device(device) {
        Err(err) => format!("NVENC not probed: {err}"),
        Ok(NvencProbe::Unavailable(err)) => format!("{err}; frames are downloaded and software-encoded"),
        Ok(available @ NvencProbe::Available { .. }) => {
            format!("{available}; the summary is encoded in software (NVENC encoding is not built in)")
        }
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
    let encode = StageChoice {
        stage: "encode",
        backend: "libx264 (ffmpeg)".into(),
        reason: nvenc_reason(&driver, gpu.as_ref().ok().and_then(|devices| devices.first().copied())),
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

    #[test]
    fn the_encoder_reason_names_the_missing_nvenc_library_without_touching_a_gpu() {
        let missing = probe(Err("libcuda.so.1 not found".into()), Ok(()));
        assert_eq!(
            nvenc_reason(&missing, Some(0)),
            "no hardware encoder: libnvidia-encode.so.1 not found"
        );
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
