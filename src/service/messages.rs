//! Messages between the service's threads (ingest → fetch → coordinator,
//! ingest → coordinator for Frigate's GenAI summaries, and every stage →
//! notifier).

use crate::ai::AnalysisResult;
use crate::ce::journal::JobDispatch;
use crate::flow::messages::CameraClip;
use crate::notify::{CeFacts, Milestone};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Work for the fetch thread.
#[derive(Debug, Clone)]
pub enum FetchRequest {
    /// A closed CE's clips.
    Clips(FetchJob),
    /// The snapshot of a new CE's first event.
    Snapshot(SnapshotJob),
}

/// The snapshot of the first event of a new CE (`<camera>/snapshot.jpg`).
#[derive(Debug, Clone)]
pub struct SnapshotJob {
    /// CE id.
    pub ce_id: String,
    /// CE folder.
    pub folder: PathBuf,
    /// Camera of the event.
    pub camera: String,
    /// Frigate event id.
    pub event_id: String,
    /// Label of the event.
    pub label: String,
}

/// A closed CE whose clips must be fetched from Frigate.
#[derive(Debug, Clone)]
pub struct FetchJob {
    /// CE id.
    pub ce_id: String,
    /// CE folder.
    pub folder: PathBuf,
    /// Export window start (epoch seconds); t = 0 of every clip.
    pub window_start: f64,
    /// Export window end (epoch seconds).
    pub window_end: f64,
    /// Cameras in order of first appearance (the first is the primary).
    pub cameras: Vec<String>,
    /// Frigate event ids per camera, for the fallback clip route.
    pub event_ids: BTreeMap<String, Vec<String>>,
    /// Label of the first event, for notifications.
    pub label: String,
    /// Clips already fetched before a restart, by camera.
    pub fetched: BTreeMap<String, PathBuf>,
    /// Cameras already known to have failed, with the reason.
    pub failed: BTreeMap<String, String>,
    /// When the CE closed (epoch seconds), for the close-to-summary latency.
    pub closed_at: f64,
}

/// A CE whose clips are on disk, ready for the pipeline.
#[derive(Debug, Clone)]
pub struct ReadyCe {
    /// CE id.
    pub ce_id: String,
    /// CE folder.
    pub folder: PathBuf,
    /// Export window start (epoch seconds).
    pub window_start: f64,
    /// Export window length in seconds.
    pub window_seconds: f64,
    /// Cameras with a clip.
    pub clips: Vec<CameraClip>,
    /// Cameras without one, with the reason.
    pub failed: Vec<(String, String)>,
    /// Label of the first event, for notifications.
    pub label: String,
    /// When the CE closed (epoch seconds), for the close-to-summary latency.
    pub closed_at: f64,
    /// Its cluster job as journaled before a restart (cluster mode only).
    pub dispatched: Option<JobDispatch>,
}

/// A notification to send (subject to the rate limit).
#[derive(Debug, Clone)]
pub struct NotifyRequest {
    /// What happened.
    pub milestone: Milestone,
    /// About which CE.
    pub facts: CeFacts,
    /// The CE folder whose journal records this notification as due; the
    /// notifier journals it as `notified` there once the broker accepted it.
    /// `None` for notifications the journal does not track.
    pub journal: Option<PathBuf>,
}

/// Frigate's GenAI summary of a CE (`ai_mode: frigate`), already written to
/// the CE's `analysis_result.json`; the coordinator sends `finalized` once
/// the CE's `clip_ready` has gone out.
#[derive(Debug, Clone)]
pub struct ReviewAnalysis {
    /// CE id.
    pub ce_id: String,
    /// CE folder.
    pub folder: PathBuf,
    /// The summary, in the shape of our own analysis.
    pub result: AnalysisResult,
}
