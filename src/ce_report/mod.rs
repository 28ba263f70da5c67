//! The CE's own record of itself, written when it completes: `metadata.json` (every fact of
//! the outcome, machine-readable, paths relative to the CE folder, with the camera timeline the
//! player page draws) and `summary.txt` (the
//! same for a person reading the folder).
//!
//! Owns the two files' content and writing them atomically; it learns nothing itself (the
//! outcome comes from the CE driver) and writes nothing else. The outcome's types live here
//! (`outcome`), below the driver that fills them.

mod outcome;

pub use outcome::{CameraOutcome, CeOutcome};

use crate::fs_atomic::write_atomic;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// File name of the machine-readable record.
pub const METADATA_FILE: &str = "metadata.json";
/// File name of the readable summary.
pub const SUMMARY_TEXT_FILE: &str = "summary.txt";

/// `path` relative to `folder` when inside it, else as given.
fn relative(path: &Path, folder: &Path) -> String {
    path.strip_prefix(folder).unwrap_or(path).display().to_string()
}

/// The CE's start as an ISO-8601 UTC time (`-` when out of range).
fn start_time(start_epoch: f64) -> String {
    Utc.timestamp_millis_opt((start_epoch * 1000.0).round() as i64)
        .single()
        .map_or_else(|| "-".to_string(), |time| time.to_rfc3339())
}

/// The content of `metadata.json`.
pub fn metadata(outcome: &CeOutcome, start_epoch: f64) -> Value {
    let folder = &outcome.folder;
    let file = |path: &Option<std::path::PathBuf>| path.as_ref().map(|p| relative(p, folder));
    let cameras: Vec<Value> = outcome
        .cameras
        .iter()
        .map(|camera| {
            json!({
                "camera": camera.camera,
                "clip": file(&camera.clip),
                "sidecar": file(&camera.sidecar),
                "sampled_frames": camera.sampled_frames,
                "frames_with_person": camera.frames_with_person,
                "error": camera.error.as_ref().map(ToString::to_string),
            })
        })
        .collect();
    json!({
        "ce_id": outcome.ce_id,
        "start_epoch": start_epoch,
        "start_time": start_time(start_epoch),
        "cameras": cameras,
        "primary_camera": outcome.primary_camera,
        "slices": outcome.slices,
        "timeline": outcome.timeline,
        "summary_video": file(&outcome.summary),
        "summary_frames": outcome.summary_frames,
        "summary_error": outcome.summary_error.as_ref().map(ToString::to_string),
        "preview_gif": file(&outcome.preview_gif),
        "analysis": outcome.analysis,
        "analysis_error": outcome.analysis_error,
        "detect_seconds": outcome.detect_seconds,
        "compile_seconds": outcome.compile_seconds,
    })
}

/// The content of `summary.txt`.
pub fn summary_text(outcome: &CeOutcome, start_epoch: f64) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Consolidated event {}, started {}",
        outcome.ce_id,
        start_time(start_epoch)
    );
    if let Some(analysis) = &outcome.analysis {
        let _ = writeln!(
            text,
            "{} (threat level {})",
            analysis.title, analysis.potential_threat_level
        );
        let _ = writeln!(text, "{}", analysis.short_summary);
        let _ = writeln!(text, "{}", analysis.scene);
    }
    if let Some(error) = &outcome.analysis_error {
        let _ = writeln!(text, "AI analysis failed: {error}");
    }
    let _ = writeln!(text, "Cameras:");
    for camera in &outcome.cameras {
        let _ = match &camera.error {
            Some(error) => writeln!(text, "  {}: failed: {error}", camera.camera),
            None => writeln!(
                text,
                "  {}: {} frames analysed, a person in {}",
                camera.camera, camera.sampled_frames, camera.frames_with_person
            ),
        };
    }
    let _ = match (&outcome.summary, &outcome.summary_error) {
        (Some(video), _) => writeln!(
            text,
            "Summary video: {} ({} frames, {} slices, primary camera {})",
            relative(video, &outcome.folder),
            outcome.summary_frames,
            outcome.slices,
            outcome.primary_camera.as_deref().unwrap_or("-")
        ),
        (None, Some(error)) => writeln!(text, "No summary video: {error}"),
        (None, None) => writeln!(text, "No summary video was requested."),
    };
    text
}

/// Writes both files into the CE folder.
pub fn write_ce_report(outcome: &CeOutcome, start_epoch: f64) -> io::Result<()> {
    let metadata = serde_json::to_vec_pretty(&metadata(outcome, start_epoch)).map_err(io::Error::other)?;
    write_atomic(&outcome.folder.join(METADATA_FILE), &metadata)?;
    write_atomic(
        &outcome.folder.join(SUMMARY_TEXT_FILE),
        summary_text(outcome, start_epoch).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::AnalysisResult;
    use crate::flow::failure::PipelineError;
    use std::path::PathBuf;

    fn outcome(folder: &Path) -> CeOutcome {
        CeOutcome {
            ce_id: "1764180000_ab12cd34".into(),
            folder: folder.to_path_buf(),
            cameras: vec![
                CameraOutcome {
                    camera: "front_door".into(),
                    clip: Some(folder.join("front_door/front_door-1.mp4")),
                    sidecar: Some(folder.join("front_door/detection.json")),
                    sampled_frames: 120,
                    frames_with_person: 40,
                    error: None,
                },
                CameraOutcome {
                    camera: "garage".into(),
                    clip: None,
                    sidecar: None,
                    sampled_frames: 0,
                    frames_with_person: 0,
                    error: Some(PipelineError::failed("no clip")),
                },
            ],
            primary_camera: Some("front_door".into()),
            slices: 3,
            timeline: vec![crate::timeline::CameraRun {
                camera: "front_door".into(),
                start_sec: 0.0,
                end_sec: 6.0,
            }],
            summary: Some(folder.join("ce_summary.mp4")),
            preview_gif: Some(folder.join("notification.gif")),
            summary_frames: 600,
            summary_error: None,
            analysis: Some(AnalysisResult {
                title: "Visitor".into(),
                scene: "A person walks to the door.".into(),
                short_summary: "Person at the door.".into(),
                confidence: 0.8,
                potential_threat_level: 1,
            }),
            analysis_error: None,
            detect_seconds: 1.5,
            compile_seconds: 3.0,
        }
    }

    #[test]
    fn metadata_records_the_outcome_with_folder_relative_paths() {
        let folder = PathBuf::from("/storage/events/1764180000_ab12cd34");
        let value = metadata(&outcome(&folder), 1_764_180_000.0);
        assert_eq!(value["start_time"], "2025-11-26T18:00:00+00:00");
        assert_eq!(value["summary_video"], "ce_summary.mp4");
        assert_eq!(value["cameras"][0]["clip"], "front_door/front_door-1.mp4");
        assert_eq!(value["cameras"][0]["frames_with_person"], 40);
        assert_eq!(value["cameras"][1]["error"], "no clip");
        assert_eq!(value["analysis"]["potential_threat_level"], 1);
        assert_eq!(value["summary_frames"], 600);
        assert_eq!(
            value["timeline"],
            serde_json::json!([{"camera": "front_door", "start_sec": 0.0, "end_sec": 6.0}])
        );
    }

    #[test]
    fn both_files_are_written_into_the_ce_folder() {
        let dir = tempfile::tempdir().unwrap();
        write_ce_report(&outcome(dir.path()), 1_764_180_000.0).unwrap();
        let value: Value = serde_json::from_slice(&std::fs::read(dir.path().join(METADATA_FILE)).unwrap()).unwrap();
        assert_eq!(value["ce_id"], "1764180000_ab12cd34");
        let text = std::fs::read_to_string(dir.path().join(SUMMARY_TEXT_FILE)).unwrap();
        assert_eq!(
            text,
            "Consolidated event 1764180000_ab12cd34, started 2025-11-26T18:00:00+00:00\n\
             Visitor (threat level 1)\n\
             Person at the door.\n\
             A person walks to the door.\n\
             Cameras:\n  front_door: 120 frames analysed, a person in 40\n  garage: failed: no clip\n\
             Summary video: ce_summary.mp4 (600 frames, 3 slices, primary camera front_door)\n"
        );
    }
}
