//! `bench DIR`: stage and end-to-end throughput on a CE folder.

use super::load_config;
use frigate_buffer::bench::run_bench;
use std::path::Path;

/// Runs the command.
pub fn run(dir: &Path, config: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let report = run_bench(&config, dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let r = &report;
    println!("backend                      {}", r.backend);
    println!(
        "decode only                  {:>8.1} frames/s ({} frames, {} cameras)",
        r.decode_fps, r.decode_frames, r.cameras
    );
    println!(
        "raw inference                {:>8.1} frames/s ({} frames, {})",
        r.raw_inference_fps, r.raw_inference_frames, r.raw_inference_provider
    );
    println!(
        "detection pass (end to end) {:>8.1} decoded frames/s ({} frames in {:.2} s)",
        r.detection_pass_fps, r.detection_pass_decoded_frames, r.detection_pass_seconds
    );
    println!(
        "detection in pipeline        {:>8.1} sampled frames/s ({:.2}× raw inference)",
        r.detection_fps, r.pipeline_to_raw_inference_ratio
    );
    println!(
        "compile                      {:>8.1} frames/s ({} frames in {:.2} s)",
        r.compile_fps, r.compile_frames, r.compile_seconds
    );
    println!(
        "accelerator owner busy       {:>8.1} % of the CE wall time",
        r.accelerator_busy_fraction * 100.0
    );
    for memory in r.stages.iter().filter_map(|stage| stage.device_memory) {
        println!(
            "GPU {} memory in use         {:>8.1} MiB (driver, after the owner's last job)",
            memory.ordinal,
            memory.used_bytes as f64 / 1_048_576.0
        );
    }
    println!("peak RSS                     {:>8.1} MiB", r.peak_rss_mib);
    Ok(())
}
