//! `build-engine`: builds the TensorRT engine of the configured detector ahead of time, so
//! the service never stalls on its first event while TensorRT optimises the model.
//!
//! Engines land in the TensorRT cache directory ONNX Runtime reads at start-up; they are
//! tied to the GPU model and the TensorRT/CUDA versions and are rebuilt when those change.

use super::load_config;
use anyhow::{bail, Context};
use frigate_buffer::gpu::cuda_context::GpuContext;
use frigate_buffer::inference::gpu_providers::{
    provider_availability, tensorrt_cache_contents, GpuProvider, GpuProviders, TensorRtCache,
};
use frigate_buffer::inference::{onnxruntime_library, DetectorSession, ModelFile};
use std::path::Path;
use std::time::Instant;

/// Runs the command on CUDA device `device`.
pub fn run(config: Option<&Path>, device: usize) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let detector = &config.detector;
    let runtime = onnxruntime_library::load(detector.onnxruntime_library.as_deref())?;
    if !provider_availability(runtime).tensorrt {
        bail!(
            "ONNX Runtime {} ({}) has no TensorRT execution provider: install onnxruntime-gpu and TensorRT (libnvinfer)",
            runtime.version,
            runtime.path.display()
        );
    }
    let Some(cache) = TensorRtCache::for_precision(config.pipeline.tensorrt) else {
        bail!("pipeline preset '{}' turns TensorRT off", config.pipeline.name);
    };
    let model = ModelFile::read(&detector.model_path, detector.model_sha256.as_deref())?;
    let context = GpuContext::open(device)?;
    let stream = context.new_stream()?;
    let providers = GpuProviders {
        device,
        stream: stream.cu_stream().cast(),
        tensorrt: Some(cache.clone()),
    };
    let started = Instant::now();
    let (mut session, provider) = DetectorSession::new_gpu(runtime, &model, &providers)?;
    if provider != GpuProvider::TensorRt {
        bail!(
            "TensorRT could not take {} (see the warning above)",
            model.path.display()
        );
    }
    session.warm_up().context("first run of the TensorRT engine")?;
    let (engines, timing) = tensorrt_cache_contents(&cache.directory);
    println!(
        "built {} engine(s) ({}) for {} on {} in {:.1} s; cache {} holds {engines} engine(s), {timing} timing cache(s)",
        engines,
        if cache.fp16 { "fp16" } else { "fp32" },
        model.path.display(),
        context.device_name()?,
        started.elapsed().as_secs_f64(),
        cache.directory.display()
    );
    Ok(())
}
