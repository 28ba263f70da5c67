//! Start-up choice of the backend of every stage, with the reason for each.
//!
//! Owns the decision only (what `doctor` prints and what the pipeline is
//! built with); building the backends is left to the caller.

use crate::config::{AcceleratorChoice, Config};
use crate::gpu::driver_probe::{probe_driver, DriverProbe};
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
    /// Accelerator backend for the owner threads (`cpu` for now).
    pub accelerator: &'static str,
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

/// Why the NVIDIA backend is not used, given what the driver probe found.
fn nvidia_unavailable_reason(driver: &DriverProbe) -> String {
    match &driver.cuda {
        Err(missing) => format!("no NVIDIA driver: {missing}"),
        Ok(()) => "NVIDIA driver found, but this build runs the accelerator owner on its CPU backend".to_string(),
    }
}

/// Chooses the backends for `config` on this machine.
pub fn select_backends(config: &Config) -> Result<BackendPlan, SelectionError> {
    let driver = probe_driver();
    let gpu_reason = nvidia_unavailable_reason(&driver);
    if config.pipeline.accelerator == AcceleratorChoice::Nvidia {
        return Err(SelectionError::NvidiaUnavailable {
            preset: config.pipeline.name.clone(),
            reason: gpu_reason,
        });
    }
    let why_cpu = match config.pipeline.accelerator {
        AcceleratorChoice::Cpu => format!("pipeline preset '{}' selects the CPU", config.pipeline.name),
        _ => gpu_reason,
    };
    let ffmpeg = ffmpeg_tool::locate("ffmpeg");
    let ffmpeg_path = ffmpeg.as_ref().ok_or(SelectionError::FfmpegMissing)?;
    let nvenc = match &driver.nvenc {
        Ok(()) => "NVENC library present, but the accelerator owner runs on the CPU".to_string(),
        Err(missing) => missing.clone(),
    };
    let stages = vec![
        StageChoice {
            stage: "decode",
            backend: format!("ffmpeg ({})", ffmpeg_path.display()),
            reason: why_cpu.clone(),
        },
        StageChoice {
            stage: "detect",
            backend: "onnxruntime-cpu".into(),
            reason: why_cpu.clone(),
        },
        StageChoice {
            stage: "render",
            backend: "cpu (bicubic crop/resize, text overlay)".into(),
            reason: why_cpu,
        },
        StageChoice {
            stage: "encode",
            backend: "libx264 (ffmpeg)".into(),
            reason: format!("no hardware encoder: {nvenc}"),
        },
    ];
    Ok(BackendPlan {
        accelerator: "cpu",
        stages,
        ffmpeg,
    })
}
