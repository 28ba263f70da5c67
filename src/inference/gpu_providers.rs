//! ONNX Runtime's NVIDIA execution providers: TensorRT (with its engine and timing caches
//! on disk) and CUDA, both running on the GPU owner's CUDA stream.
//!
//! Owns choosing and configuring the providers of a GPU detector session and reporting
//! which ones the loaded ONNX Runtime was built with. It does not bind buffers or run the
//! model (`device_io`), and it never opens a CUDA context itself.

use super::detector_session::DetectorSession;
use super::onnxruntime_library::OnnxRuntime;
use super::{InferenceError, ModelFile};
use crate::config::TensorRtPrecision;
use ort::ep::{self, ExecutionProvider};
use ort::session::Session;
use std::path::{Path, PathBuf};

/// Where TensorRT keeps what it builds, and at which precision it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorRtCache {
    /// Directory of serialised engines and the timing cache.
    pub directory: PathBuf,
    /// Build fp16 engines (the default): about twice as fast, same detections to within
    /// rounding for detectors of this kind.
    pub fp16: bool,
}

impl TensorRtCache {
    /// The cache for engines of `precision` in the default directory; `None` when the
    /// preset turns TensorRT off.
    pub fn for_precision(precision: TensorRtPrecision) -> Option<Self> {
        match precision {
            TensorRtPrecision::Off => None,
            precision => Some(Self {
                directory: default_tensorrt_cache_dir(),
                fp16: precision == TensorRtPrecision::Fp16,
            }),
        }
    }
}

/// The providers a GPU session is created with, in order of preference.
#[derive(Debug, Clone)]
pub struct GpuProviders {
    /// CUDA device ordinal.
    pub device: usize,
    /// The GPU owner's stream (`CUstream`), which every provider runs on so that work
    /// queued before and after a run is ordered without extra synchronisation.
    pub stream: *mut std::ffi::c_void,
    /// TensorRT first, when the runtime has it and this is set.
    pub tensorrt: Option<TensorRtCache>,
}

/// Which NVIDIA providers the loaded ONNX Runtime was built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderAvailability {
    /// `CUDAExecutionProvider`.
    pub cuda: bool,
    /// `TensorrtExecutionProvider`.
    pub tensorrt: bool,
}

/// Asks the loaded ONNX Runtime which NVIDIA providers it has (the runtime must be loaded).
pub fn provider_availability(_runtime: &OnnxRuntime) -> ProviderAvailability {
    ProviderAvailability {
        cuda: ep::CUDA::is_available().unwrap_or(false),
        tensorrt: ep::TensorRT::is_available().unwrap_or(false),
    }
}

/// The provider a GPU session ended up running on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuProvider {
    /// TensorRT, engines cached on disk.
    TensorRt,
    /// ONNX Runtime's CUDA kernels.
    Cuda,
}

impl GpuProvider {
    /// Name for logs and `doctor`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TensorRt => "onnxruntime-tensorrt",
            Self::Cuda => "onnxruntime-cuda",
        }
    }
}

impl DetectorSession {
    /// Creates a detector session on the GPU: TensorRT when asked for and available
    /// (falling back to CUDA if it cannot take the model), else CUDA.
    pub fn new_gpu(
        runtime: &OnnxRuntime,
        model: &ModelFile,
        providers: &GpuProviders,
    ) -> Result<(Self, GpuProvider), InferenceError> {
        let available = provider_availability(runtime);
        if !available.cuda {
            return Err(InferenceError::Runtime(format!(
                "{} has no CUDAExecutionProvider: install the GPU build of ONNX Runtime (onnxruntime-gpu)",
                runtime.path.display()
            )));
        }
        if let (Some(cache), true) = (&providers.tensorrt, available.tensorrt) {
            match Self::commit(runtime, model, providers, Some(cache)) {
                Ok(session) => return Ok((session, GpuProvider::TensorRt)),
                Err(err) => tracing::warn!("TensorRT cannot take {}; using CUDA: {err}", model.path.display()),
            }
        }
        Ok((Self::commit(runtime, model, providers, None)?, GpuProvider::Cuda))
    }

    fn commit(
        runtime: &OnnxRuntime,
        model: &ModelFile,
        providers: &GpuProviders,
        tensorrt: Option<&TensorRtCache>,
    ) -> Result<Self, InferenceError> {
        let device = providers.device as i32;
        // SAFETY: the stream belongs to the GPU owner, which keeps it alive for as long as
        // this session (the session is dropped before the owner's stream).
        let cuda = unsafe {
            ep::CUDA::default()
                .with_device_id(device)
                .with_compute_stream(providers.stream.cast())
        };
        let mut list = Vec::new();
        if let Some(cache) = tensorrt {
            std::fs::create_dir_all(&cache.directory).map_err(|err| {
                InferenceError::Runtime(format!("TensorRT cache {}: {err}", cache.directory.display()))
            })?;
            let dir = cache.directory.display().to_string();
            // SAFETY: as above.
            let trt = unsafe {
                ep::TensorRT::default()
                    .with_device_id(device)
                    .with_fp16(cache.fp16)
                    .with_engine_cache(true)
                    .with_engine_cache_path(&dir)
                    .with_timing_cache(true)
                    .with_timing_cache_path(&dir)
                    .with_compute_stream(providers.stream.cast())
            };
            list.push(trt.build().error_on_failure());
        }
        list.push(cuda.build().error_on_failure());
        let session = Session::builder(&runtime.environment)?
            .with_execution_providers(list)
            .map_err(ort::Error::from)?
            .commit_from_memory(&model.bytes)?;
        Self::from_session(session, model.path.clone())
    }
}

/// Where TensorRT engines are kept unless configured: `$FRIGATE_BUFFER_CACHE/tensorrt`,
/// else `$XDG_CACHE_HOME/frigate-buffer/tensorrt`, else `~/.cache/frigate-buffer/tensorrt`.
pub fn default_tensorrt_cache_dir() -> PathBuf {
    let from_env = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = from_env("FRIGATE_BUFFER_CACHE") {
        return dir.join("tensorrt");
    }
    let cache = from_env("XDG_CACHE_HOME")
        .or_else(|| from_env("HOME").map(|home| home.join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("frigate-buffer").join("tensorrt")
}

/// Files in a TensorRT cache directory: (engines, timing caches).
pub fn tensorrt_cache_contents(directory: &Path) -> (usize, usize) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return (0, 0);
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let engines = names.iter().filter(|name| name.ends_with(".engine")).count();
    let timing = names.iter().filter(|name| name.contains("timing")).count();
    (engines, timing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_contents_count_engines_and_timing_caches() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path()
                .join("TensorrtExecutionProvider_TRTKernel_graph_1_fp16_sm90.engine"),
            b"x",
        )
        .unwrap();
        std::fs::write(dir.path().join("TensorrtExecutionProvider_cache_sm90.timing"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        assert_eq!(tensorrt_cache_contents(dir.path()), (1, 1));
        assert_eq!(tensorrt_cache_contents(&dir.path().join("missing")), (0, 0));
    }

    #[test]
    fn provider_names_say_which_runtime_runs_the_model() {
        assert_eq!(GpuProvider::TensorRt.name(), "onnxruntime-tensorrt");
        assert_eq!(GpuProvider::Cuda.name(), "onnxruntime-cuda");
    }
}
