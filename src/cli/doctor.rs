//! `doctor`: what this machine offers (GPU driver, NVDEC, NVENC, ONNX
//! Runtime and its execution providers, FFmpeg, the model) and which backend
//! every stage will use, and why.

use super::load_config;
use frigate_buffer::accelerator::selection::select_backends;
use frigate_buffer::gpu::cuda_context::GpuContext;
use frigate_buffer::gpu::driver_probe::{probe_driver, DriverProbe};
use frigate_buffer::gpu::nvdec::{query_decoder_caps, NvcuvidApi, NvdecCodec};
use frigate_buffer::gpu::nvenc::{probe_device, NvencProbe};
use frigate_buffer::inference::gpu_providers::{
    default_tensorrt_cache_dir, provider_availability, tensorrt_cache_contents,
};
use frigate_buffer::inference::onnxruntime_library::OnnxRuntime;
use frigate_buffer::inference::{onnxruntime_library, ModelFile};
use frigate_buffer::media::ffmpeg_tool;
use frigate_buffer::runtime_libraries::{self, RuntimeLibraries};
use serde_json::json;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

fn status<T: std::fmt::Display>(result: Result<T, String>) -> String {
    match result {
        Ok(value) => format!("ok: {value}"),
        Err(reason) => format!("no: {reason}"),
    }
}

/// The CUDA version the driver supports (`cuDriverGetVersion`), e.g. `13.0`.
fn cuda_driver_version() -> Result<String, String> {
    let (major, minor) = GpuContext::driver_version().map_err(|err| err.to_string())?;
    Ok(format!("{major}.{minor}"))
}

/// Every GPU with its memory and NVDEC capabilities, when the driver is there.
fn gpu_report(driver: &DriverProbe) -> Result<String, String> {
    driver.cuda.clone()?;
    let count = cudarc::driver::CudaContext::device_count().map_err(|err| err.to_string())?;
    let mut gpus = Vec::new();
    for ordinal in 0..count.max(0) as usize {
        let context = GpuContext::open(ordinal).map_err(|err| err.to_string())?;
        let name = context.device_name().map_err(|err| err.to_string())?;
        let memory = context.cuda().total_mem().map_err(|err| err.to_string())?;
        let mut parts = vec![format!("GPU {ordinal}: {name}, {} MiB", memory >> 20)];
        match NvcuvidApi::load() {
            Ok(api) => {
                for (label, codec) in [("H.264", NvdecCodec::H264), ("HEVC", NvdecCodec::Hevc)] {
                    let caps = query_decoder_caps(&api, &context, codec).map_err(|err| err.to_string())?;
                    parts.push(if caps.supported {
                        format!(
                            "NVDEC {label} {} engines up to {}x{}",
                            caps.engine_count, caps.max_width, caps.max_height
                        )
                    } else {
                        format!("NVDEC {label} not supported")
                    });
                }
            }
            Err(err) => parts.push(format!("no NVDEC: {err}")),
        }
        gpus.push(parts.join(", "));
    }
    if gpus.is_empty() {
        return Err("the driver sees no GPU".into());
    }
    Ok(format!("CUDA {} driver; {}", cuda_driver_version()?, gpus.join("; ")))
}

/// What opening an NVENC session on the first GPU answers.
fn nvenc_report(driver: &DriverProbe) -> Result<String, String> {
    driver.cuda.clone()?;
    driver.nvenc.clone()?;
    match probe_device(0).map_err(|err| err.to_string())? {
        available @ NvencProbe::Available { .. } => Ok(format!(
            "{available}; summaries use h264_nvenc once its trial encode succeeds (the encode line below)"
        )),
        NvencProbe::Unavailable(err) => Err(format!("{err}; summaries are encoded with libx264")),
    }
}

/// The ONNX Runtime library, its version and the execution providers it was built with.
fn onnxruntime_report(runtime: &OnnxRuntime) -> String {
    let available = provider_availability(runtime);
    let mut providers = vec!["CPU"];
    if available.cuda {
        providers.push("CUDA");
    }
    if available.tensorrt {
        providers.push("TensorRT");
    }
    format!(
        "{} ({}), execution providers: {}",
        runtime.version,
        runtime.path.display(),
        providers.join(", ")
    )
}

/// The ONNX Runtime build the setup installed, and where the CUDA libraries come from.
fn installed_build_report(installed: &RuntimeLibraries) -> String {
    let build = installed
        .build
        .as_deref()
        .unwrap_or("not recorded (installed by hand or by an older setup)");
    match &installed.manifest {
        Some(manifest) => format!(
            "{build}; {} CUDA libraries listed in {}",
            installed.cuda.len(),
            manifest.display()
        ),
        None => format!("{build}; no CUDA libraries installed by the setup"),
    }
}

/// The TensorRT engine cache: where, and what it holds.
fn tensorrt_cache_report() -> String {
    let directory = default_tensorrt_cache_dir();
    let (engines, timing) = tensorrt_cache_contents(&directory);
    format!(
        "{}: {engines} engine(s), {timing} timing cache(s){}",
        directory.display(),
        if engines == 0 {
            " (run `frigate-buffer build-engine` to build before the first event)"
        } else {
            ""
        }
    )
}

/// Whether the MQTT broker accepts TCP connections.
fn broker_report(host: &str, port: u16) -> Result<String, String> {
    let address = (host, port)
        .to_socket_addrs()
        .map_err(|err| format!("{host}:{port}: {err}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port}: no address"))?;
    TcpStream::connect_timeout(&address, Duration::from_secs(3))
        .map(|_| format!("{host}:{port} reachable"))
        .map_err(|err| format!("{host}:{port}: {err}"))
}

/// Frigate's version, from `GET /api/version`.
fn frigate_report(base_url: &str) -> Result<String, String> {
    let url = format!("{base_url}/api/version");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3)))
        .build()
        .into();
    let mut response = agent.get(&url).call().map_err(|err| format!("{url}: {err}"))?;
    let version = response
        .body_mut()
        .read_to_string()
        .map_err(|err| format!("{url}: {err}"))?;
    Ok(format!("{base_url} (Frigate {})", version.trim()))
}

/// Runs the command.
pub fn run(config: Option<&Path>, as_json: bool) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let driver = probe_driver();
    let tool = |name: &str| match ffmpeg_tool::locate(name) {
        Some(path) => Ok(format!(
            "{} ({})",
            path.display(),
            ffmpeg_tool::version_line(&path).unwrap_or_else(|| "version unknown".into())
        )),
        None => Err(format!("{name} not found on PATH")),
    };
    let x264 = match ffmpeg_tool::locate("ffmpeg") {
        Some(path) if ffmpeg_tool::has_encoder(&path, "libx264") => Ok("libx264 available".to_string()),
        Some(_) => Err("this ffmpeg has no libx264 encoder".to_string()),
        None => Err("no ffmpeg".to_string()),
    };
    let runtime = onnxruntime_library::load(config.detector.onnxruntime_library.as_deref());
    let onnxruntime = runtime
        .as_ref()
        .map(|rt| onnxruntime_report(rt))
        .map_err(|err| err.to_string());
    let model = ModelFile::read(&config.detector.model_path, config.detector.model_sha256.as_deref())
        .map(|m| {
            format!(
                "{} ({} bytes, checksum {})",
                m.path.display(),
                m.bytes.len(),
                if config.detector.model_sha256.is_some() {
                    "verified"
                } else {
                    "not configured"
                }
            )
        })
        .map_err(|err| err.to_string());
    let installed = runtime_libraries::preload();
    let mut checks = vec![
        ("gpu", status(gpu_report(&driver))),
        ("nvenc", status(nvenc_report(&driver))),
        ("onnxruntime", status(onnxruntime)),
        ("ort build", installed_build_report(installed)),
    ];
    checks.extend(installed.cuda.iter().map(|library| {
        (
            library.soname.as_str(),
            status(
                library
                    .loaded
                    .clone()
                    .map(|()| format!("{} ({}), loaded", library.path.display(), library.origin)),
            ),
        )
    }));
    checks.extend([
        ("tensorrt", format!("cache {}", tensorrt_cache_report())),
        ("model", status(model)),
        ("ffmpeg", status(tool("ffmpeg"))),
        ("ffprobe", status(tool("ffprobe"))),
        ("x264", status(x264)),
        (
            "mqtt broker",
            status(broker_report(&config.mqtt.host, config.mqtt.port)),
        ),
        ("frigate", status(frigate_report(&config.frigate_url))),
    ]);
    let selection = select_backends(&config, runtime.ok());
    if as_json {
        let value = json!({
            "config": config.source,
            "pipeline": config.pipeline.name,
            "checks": checks.iter().map(|(k, v)| json!({"check": k, "result": v})).collect::<Vec<_>>(),
            "backends": selection.as_ref().map_err(|e| e.to_string()),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "config: {} (pipeline preset '{}')",
            config.source.display(),
            config.pipeline.name
        );
        for (name, result) in &checks {
            println!("{name:>12}  {result}");
        }
        match &selection {
            Ok(plan) => {
                println!("accelerator owner backend: {}", plan.accelerator);
                for stage in &plan.stages {
                    println!("{:>12}  {} — {}", stage.stage, stage.backend, stage.reason);
                }
            }
            Err(err) => println!("backends: cannot start: {err}"),
        }
    }
    selection.map(|_| ()).map_err(Into::into)
}
