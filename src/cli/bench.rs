//! `bench DIR [--concurrent N]`: stage and end-to-end throughput on a CE folder, or what one
//! machine sustains with N copies of it at once.

use super::load_config;
use frigate_buffer::bench::concurrent::{run_concurrent_bench, ConcurrentReport};
use frigate_buffer::bench::memory::MemoryReport;
use frigate_buffer::bench::run_bench;
use frigate_buffer::flow::telemetry::StageSnapshot;
use std::path::Path;

/// Runs the command.
pub fn run(dir: &Path, config: Option<&Path>, json: bool, concurrent: Option<u16>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    if let Some(copies) = concurrent {
        let report = run_concurrent_bench(&config, dir, usize::from(copies))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_concurrent(&report);
        }
        return Ok(());
    }
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
    print_memory(&r.stages, &r.memory);
    Ok(())
}

fn print_concurrent(r: &ConcurrentReport) {
    println!("backend                      {}", r.backend);
    println!(
        "CEs                          {:>8} copies at once, {} with a summary, in {:.2} s",
        r.copies, r.summaries, r.wall_seconds
    );
    println!("throughput                   {:>8.1} CEs per minute", r.ces_per_minute);
    println!(
        "detection passes             {:>8.1} decoded frames/s ({} frames, all done {:.2} s after the start)",
        r.detection_decoded_fps, r.decoded_frames, r.detection_window_seconds
    );
    println!(
        "one CE, submission to summary {:>7.2} s median, {:.2} s slowest",
        r.ce_seconds_median, r.ce_seconds_max
    );
    println!("compile                      {:>8} summary frames", r.compile_frames);
    println!(
        "accelerator owners busy      {:>8.1} % of the wall time",
        r.accelerator_busy_fraction * 100.0
    );
    for owner in &r.owners {
        println!(
            "owner {:<3}                    {:>8.1} decoded frames/s, busy {:.1} %, {} jobs, {} faults",
            owner.owner,
            owner.decoded_fps,
            owner.busy_fraction * 100.0,
            owner.jobs_taken,
            owner.faults
        );
    }
    print_memory(&r.stages, &r.memory);
}

fn print_memory(stages: &[StageSnapshot], memory: &MemoryReport) {
    for device in stages.iter().filter_map(|stage| stage.device_memory) {
        println!(
            "GPU {} memory in use         {:>8.1} MiB (driver, after the owner's last job)",
            device.ordinal,
            device.used_bytes as f64 / 1_048_576.0
        );
    }
    println!("peak RSS                     {:>8.1} MiB", memory.peak_rss_mib);
    println!(
        "RSS at the end               {:>8.1} MiB: {:.1} MiB anonymous (heap, buffers), {:.1} MiB file-backed (mapped libraries)",
        memory.rss_mib, memory.anonymous_mib, memory.file_backed_mib
    );
}
