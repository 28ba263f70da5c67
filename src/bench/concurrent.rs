//! `bench --concurrent N`: N copies of one CE folder through one pipeline at once, as a busy
//! site's incidents arrive, measuring what one machine sustains: CEs per minute end to end, the
//! aggregate decode rate of the detection passes, how busy the accelerator owners were, memory,
//! and each owner's share (decode rate, busy fraction, jobs taken), so a run over several GPUs
//! shows how the job router spread the work.
//!
//! Owns the copies (hard links to the clips in a scratch folder, removed afterwards) and the
//! accounting; the pipeline and the CE driver are the ones a real run uses.

use super::memory::MemoryReport;
use super::{accelerator_busy_seconds, per_second, BenchError};
use crate::assemble::start_pipeline;
use crate::ce_folder;
use crate::ce_report::CeOutcome;
use crate::config::Config;
use crate::flow::owner_board::OwnerSnapshot;
use crate::flow::telemetry::StageSnapshot;
use crate::media::probe::probe_clip;
use crate::offline::{folder_job, OfflineError};
use crate::pipeline::ce_run::CeDriver;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Figures of one concurrent run.
#[derive(Debug, Clone, Serialize)]
pub struct ConcurrentReport {
    /// Accelerator backend measured.
    pub backend: String,
    /// Copies of the CE submitted together.
    pub copies: usize,
    /// Of those, how many ended with a summary video.
    pub summaries: usize,
    /// From the first submission to the last CE's end, seconds.
    pub wall_seconds: f64,
    /// CEs finished per minute of wall time.
    pub ces_per_minute: f64,
    /// Frames decoded by all the detection passes.
    pub decoded_frames: u64,
    /// From the first submission to the last detection pass's end, seconds.
    pub detection_window_seconds: f64,
    /// Aggregate decode rate of the detection passes, frames/s over that window.
    pub detection_decoded_fps: f64,
    /// Summary frames encoded, all CEs.
    pub compile_frames: u64,
    /// Median and slowest time from submission to summary of one CE, seconds.
    pub ce_seconds_median: f64,
    /// Slowest CE, seconds.
    pub ce_seconds_max: f64,
    /// Seconds the accelerator owners were busy over the wall time (above 1 with several GPUs).
    pub accelerator_busy_fraction: f64,
    /// Every stage's counters at the end of the run.
    pub stages: Vec<StageSnapshot>,
    /// The process's memory at the end of the run.
    pub memory: MemoryReport,
    /// Each accelerator owner's share of the work.
    pub owners: Vec<OwnerFigures>,
}

/// One accelerator owner's (one GPU's) share of a concurrent run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerFigures {
    /// The owner's index (its GPU's place in the configuration).
    pub owner: usize,
    /// Jobs it ran (detection passes, summaries, AI frames).
    pub jobs_taken: u64,
    /// Frames its detection passes decoded.
    pub decoded_frames: u64,
    /// Its decode rate over the detection window, frames/s.
    pub decoded_fps: f64,
    /// Seconds it was busy over the wall time.
    pub busy_fraction: f64,
    /// Device faults that took it out of rotation.
    pub faults: u64,
}

/// Each owner's figures from its line of the board and its stage counters (the owners'
/// counters are the `accelerator` stages, in owner order).
fn owner_figures(
    owners: &[OwnerSnapshot],
    stages: &[StageSnapshot],
    detection_window_seconds: f64,
    wall_seconds: f64,
) -> Vec<OwnerFigures> {
    let owner_stages = stages.iter().filter(|stage| stage.name == "accelerator");
    owners
        .iter()
        .zip(owner_stages)
        .map(|(line, stage)| OwnerFigures {
            owner: line.owner,
            jobs_taken: line.jobs_run,
            decoded_frames: line.decoded_frames,
            decoded_fps: per_second(line.decoded_frames as f64, detection_window_seconds),
            busy_fraction: per_second(stage.busy_seconds, wall_seconds),
            faults: line.faults,
        })
        .collect()
}

/// Runs `copies` copies of the CE folder `dir` through one pipeline at once.
pub fn run_concurrent_bench(config: &Config, dir: &Path, copies: usize) -> Result<ConcurrentReport, BenchError> {
    let original = ce_folder::scan(dir).map_err(OfflineError::from)?;
    let decoded_per_ce = original
        .cameras
        .iter()
        .map(|camera| probe_clip(&camera.clip).map(|clip| clip.frame_count))
        .sum::<Result<u64, _>>()
        .map_err(|err| BenchError::Step(format!("probe: {err}")))?;
    let scratch = ScratchCopies::make(&original, copies)?;
    let folders = scratch
        .folders
        .iter()
        .map(|folder| ce_folder::scan(folder).map_err(OfflineError::from))
        .collect::<Result<Vec<_>, _>>()?;
    let (pipeline, backends) = start_pipeline(config)?;
    let started = Instant::now();
    let mut driver = CeDriver::new(&pipeline, config.plan.clone());
    for folder in folders {
        let (job, missing) = folder_job(folder);
        driver.submit(job, missing, true);
    }
    let outcomes = driver.run_to_completion(&mut || {});
    let wall_seconds = started.elapsed().as_secs_f64();
    let stages: Vec<StageSnapshot> = pipeline.telemetry().stages.iter().map(|s| s.snapshot()).collect();
    let owners = pipeline
        .telemetry()
        .owners
        .as_ref()
        .map(|board| board.snapshot())
        .unwrap_or_default();
    pipeline.shutdown();
    let busy = accelerator_busy_seconds(&stages);
    Ok(account(
        backends.accelerator.to_string(),
        copies,
        decoded_per_ce,
        &outcomes,
        wall_seconds,
        busy,
        stages,
        &owners,
        MemoryReport::now(),
    ))
}

/// The report's figures from the run's outcomes.
#[allow(clippy::too_many_arguments)]
fn account(
    backend: String,
    copies: usize,
    decoded_per_ce: u64,
    outcomes: &[CeOutcome],
    wall_seconds: f64,
    busy_seconds: f64,
    stages: Vec<StageSnapshot>,
    owners: &[OwnerSnapshot],
    memory: MemoryReport,
) -> ConcurrentReport {
    let detection_window_seconds = outcomes.iter().map(|o| o.detect_seconds).fold(0.0, f64::max);
    let decoded_frames = decoded_per_ce * outcomes.len() as u64;
    let mut ce_seconds: Vec<f64> = outcomes.iter().map(|o| o.detect_seconds + o.compile_seconds).collect();
    ce_seconds.sort_by(f64::total_cmp);
    let ce_seconds_median = match ce_seconds.len() {
        0 => 0.0,
        n if n % 2 == 1 => ce_seconds[n / 2],
        n => (ce_seconds[n / 2 - 1] + ce_seconds[n / 2]) / 2.0,
    };
    ConcurrentReport {
        backend,
        copies,
        summaries: outcomes.iter().filter(|o| o.summary.is_some()).count(),
        wall_seconds,
        ces_per_minute: per_second(outcomes.len() as f64 * 60.0, wall_seconds),
        decoded_frames,
        detection_window_seconds,
        detection_decoded_fps: per_second(decoded_frames as f64, detection_window_seconds),
        compile_frames: outcomes.iter().map(|o| o.summary_frames).sum(),
        ce_seconds_median,
        ce_seconds_max: ce_seconds.last().copied().unwrap_or(0.0),
        accelerator_busy_fraction: per_second(busy_seconds, wall_seconds),
        owners: owner_figures(owners, &stages, detection_window_seconds, wall_seconds),
        stages,
        memory,
    }
}

/// Copies of a CE folder in a scratch folder: each camera's clip hard-linked (copied where
/// linking is refused), nothing else; removed when dropped.
struct ScratchCopies {
    /// The scratch folder.
    root: PathBuf,
    /// One CE folder per copy.
    folders: Vec<PathBuf>,
}

impl ScratchCopies {
    /// Makes `copies` copies of `original`'s clips beside it, in `.bench-<pid>/`.
    fn make(original: &ce_folder::CeFolder, copies: usize) -> Result<Self, BenchError> {
        let parent = original.path.parent().unwrap_or(Path::new("."));
        let root = parent.join(format!(".bench-{}", std::process::id()));
        let name = original
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ce".into());
        let mut scratch = Self {
            root,
            folders: Vec::with_capacity(copies),
        };
        let failed = |what: &Path, err: std::io::Error| BenchError::Step(format!("{}: {err}", what.display()));
        for copy in 0..copies {
            let folder = scratch.root.join(format!("{name}-{copy}"));
            for camera in &original.cameras {
                let camera_dir = folder.join(&camera.camera);
                std::fs::create_dir_all(&camera_dir).map_err(|err| failed(&camera_dir, err))?;
                let file_name = camera.clip.file_name().unwrap_or_default();
                let target = camera_dir.join(file_name);
                if std::fs::hard_link(&camera.clip, &target).is_err() {
                    std::fs::copy(&camera.clip, &target).map_err(|err| failed(&target, err))?;
                }
            }
            scratch.folders.push(folder);
        }
        Ok(scratch)
    }
}

impl Drop for ScratchCopies {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(detect_seconds: f64, compile_seconds: f64, summary: bool) -> CeOutcome {
        CeOutcome {
            ce_id: "ce".into(),
            folder: PathBuf::from("ce"),
            cameras: Vec::new(),
            primary_camera: None,
            slices: 0,
            timeline: Vec::new(),
            summary: summary.then(|| PathBuf::from("ce/ce_summary.mp4")),
            preview_gif: None,
            summary_frames: if summary { 700 } else { 0 },
            summary_error: None,
            analysis: None,
            analysis_error: None,
            detect_seconds,
            compile_seconds,
        }
    }

    #[test]
    fn figures_come_from_the_slowest_detection_pass_and_the_wall_time() {
        let outcomes = [
            outcome(3.0, 2.0, true),
            outcome(5.0, 3.0, true),
            outcome(4.0, 4.0, false),
        ];
        let report = account(
            "nvidia".into(),
            3,
            2_880,
            &outcomes,
            12.0,
            9.0,
            Vec::new(),
            &[],
            MemoryReport::default(),
        );
        assert_eq!(report.summaries, 2);
        assert_eq!(report.ces_per_minute, 15.0);
        assert_eq!(report.decoded_frames, 8_640);
        assert_eq!(report.detection_window_seconds, 5.0);
        assert_eq!(report.detection_decoded_fps, 1_728.0);
        assert_eq!(report.compile_frames, 1_400);
        assert_eq!(report.ce_seconds_median, 8.0);
        assert_eq!(report.ce_seconds_max, 8.0);
        assert_eq!(report.accelerator_busy_fraction, 0.75);
    }

    #[test]
    fn an_even_number_of_ces_has_the_mean_of_the_middle_two_as_median() {
        let outcomes = [outcome(1.0, 1.0, true), outcome(2.0, 2.0, true)];
        let report = account(
            "cpu".into(),
            2,
            10,
            &outcomes,
            0.0,
            0.0,
            Vec::new(),
            &[],
            MemoryReport::default(),
        );
        assert_eq!(report.ce_seconds_median, 3.0);
        assert_eq!(report.ces_per_minute, 0.0, "no time measured, no rate");
    }

    #[test]
    fn each_owner_reports_its_decode_rate_busy_fraction_and_jobs() {
        let line = |owner, jobs_run, decoded_frames, faults| OwnerSnapshot {
            owner,
            queued_frames: 0,
            queued_jobs: 0,
            in_rotation: true,
            faults,
            recoveries: faults,
            jobs_run,
            decoded_frames,
        };
        let stage = |name, busy_seconds| StageSnapshot {
            name,
            items: 0,
            errors: 0,
            fallbacks: 0,
            busy_seconds,
            busy_fraction: 0.0,
            device_memory: None,
        };
        let stages = [
            stage("writer", 1.0),
            stage("accelerator", 6.0),
            stage("accelerator", 3.0),
            stage("probe", 0.5),
        ];
        let figures = owner_figures(&[line(0, 5, 4_000, 0), line(1, 3, 1_000, 1)], &stages, 8.0, 12.0);
        assert_eq!(
            figures,
            vec![
                OwnerFigures {
                    owner: 0,
                    jobs_taken: 5,
                    decoded_frames: 4_000,
                    decoded_fps: 500.0,
                    busy_fraction: 0.5,
                    faults: 0,
                },
                OwnerFigures {
                    owner: 1,
                    jobs_taken: 3,
                    decoded_frames: 1_000,
                    decoded_fps: 125.0,
                    busy_fraction: 0.25,
                    faults: 1,
                },
            ]
        );
    }

    #[test]
    fn copies_link_every_clip_and_vanish_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let ce = dir.path().join("1700000000_ce");
        for camera in ["front", "yard"] {
            std::fs::create_dir_all(ce.join(camera)).unwrap();
            std::fs::write(ce.join(camera).join(format!("{camera}-1.mp4")), b"clip").unwrap();
        }
        let original = ce_folder::scan(&ce).unwrap();
        let scratch = ScratchCopies::make(&original, 3).unwrap();
        assert_eq!(scratch.folders.len(), 3);
        for folder in &scratch.folders {
            for camera in ["front", "yard"] {
                let clip = folder.join(camera).join(format!("{camera}-1.mp4"));
                assert_eq!(std::fs::read(&clip).unwrap(), b"clip");
            }
        }
        let root = scratch.root.clone();
        drop(scratch);
        assert!(!root.exists());
    }
}
