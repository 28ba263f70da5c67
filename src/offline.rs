//! Offline processing of a CE folder (`process`, `detect`, `bench`): start
//! the pipeline, submit the folder's cameras as one CE, wait for the outcome.
//!
//! Owns nothing beyond one run; the pipeline is shut down (drained) before
//! returning.

use crate::accelerator::selection::BackendPlan;
use crate::assemble::{start_pipeline, StartError};
use crate::ce_folder::{self, CeFolder, CeFolderError};
use crate::ce_report::CeOutcome;
use crate::config::Config;
use crate::flow::messages::CeJob;
use crate::flow::telemetry::StageSnapshot;
use crate::pipeline::ce_run::CeDriver;
use std::path::Path;
use std::sync::Arc;

/// Why an offline run could not happen at all (per-camera failures are in the outcome).
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// The folder is unusable.
    #[error("{0}")]
    Folder(#[from] CeFolderError),
    /// The pipeline could not start.
    #[error("{0}")]
    Start(#[from] StartError),
}

/// What an offline run produced.
pub struct OfflineRun {
    /// The CE's outcome.
    pub outcome: CeOutcome,
    /// The backends used.
    pub backends: BackendPlan,
    /// Stage counters at the end of the run.
    pub stages: Vec<StageSnapshot>,
}

/// Processes `folder` as one CE. `want_summary` false stops after the
/// sidecars. `observe` is called with the CE job as work progresses.
pub fn process_folder(
    config: &Config,
    folder: CeFolder,
    want_summary: bool,
    observe: &mut dyn FnMut(&CeJob),
) -> Result<OfflineRun, OfflineError> {
    let (pipeline, backends) = start_pipeline(config)?;
    let (job, missing) = folder_job(folder);
    let mut driver = CeDriver::new(&pipeline, config.plan.clone());
    driver.submit(job.clone(), missing, want_summary);
    let mut outcomes = driver.run_to_completion(&mut || observe(&job));
    let stages = pipeline.telemetry().stages.iter().map(|s| s.snapshot()).collect();
    pipeline.shutdown();
    let outcome = outcomes.pop().expect("the submitted CE always completes");
    Ok(OfflineRun {
        outcome,
        backends,
        stages,
    })
}

/// The CE job of `folder` (named after the folder, starting at its epoch prefix if any), and
/// the cameras it lacks a clip for, with the reason.
pub fn folder_job(folder: CeFolder) -> (Arc<CeJob>, Vec<(String, String)>) {
    let start = ce_folder::start_epoch(&folder);
    let id = folder
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ce".into());
    let job = Arc::new(CeJob::new(id, folder.path.clone(), start, 0.0, folder.cameras));
    (job, folder.missing)
}

/// Scans `dir` and processes it (see [`process_folder`]).
pub fn process_dir(
    config: &Config,
    dir: &Path,
    want_summary: bool,
    observe: &mut dyn FnMut(&CeJob),
) -> Result<OfflineRun, OfflineError> {
    process_folder(config, ce_folder::scan(dir)?, want_summary, observe)
}
