//! The AI analysis files of a CE folder (SPEC §8, §9): `ai_frame_analysis/frames/*.jpg`,
//! `ai_frame_analysis/manifest.json` and `analysis_result.json`, each written atomically.
//!
//! Owns the file names and the JSON shapes on disk. It does not render frames or call the
//! endpoint.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::frame_render::AiFrameJpeg;
use super::parse::AnalysisResult;
use crate::fs_atomic::write_atomic;
use crate::fs_read::read_regular_file;

/// Folder of the AI frames and their manifest, inside the CE folder.
pub const AI_FRAME_ANALYSIS_DIR: &str = "ai_frame_analysis";

/// Folder of the frame JPEGs, inside [`AI_FRAME_ANALYSIS_DIR`].
pub const FRAMES_DIR: &str = "frames";

/// The frame list, inside [`AI_FRAME_ANALYSIS_DIR`].
pub const MANIFEST_FILE: &str = "manifest.json";

/// The parsed analysis, inside the CE folder.
pub const ANALYSIS_RESULT_FILE: &str = "analysis_result.json";

/// One frame of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// File name inside `ai_frame_analysis/frames/`.
    pub filename: String,
    /// Source time, seconds from the shared clip start.
    pub timestamp_sec: f64,
    /// Camera the frame was taken from.
    pub camera: String,
    /// Position in the sequence, 1-based (the `i` of the label's `i/N`).
    pub seq: usize,
    /// Number of frames (the `N`).
    pub total: usize,
}

/// `analysis_result.json`: the parsed answer and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    /// The model's answer, as parsed.
    #[serde(flatten)]
    pub result: AnalysisResult,
    /// The model that answered.
    pub model: String,
    /// Number of frames sent.
    pub frames: usize,
    /// When the answer arrived, RFC 3339 in UTC with whole seconds.
    pub created_at: String,
}

impl AnalysisRecord {
    /// The record of `result`, answered by `model` for `frames` frames at `created_at`.
    pub fn new(result: AnalysisResult, model: &str, frames: usize, created_at: DateTime<Utc>) -> Self {
        Self {
            result,
            model: model.to_string(),
            frames,
            created_at: created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

/// An AI output file could not be written.
#[derive(Debug, Error)]
pub enum AiOutputError {
    /// A file system call failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done: `create`, `write`, `list` or `remove`.
        action: &'static str,
        /// The file or folder at fault.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A JSON document could not be serialised.
    #[error("cannot serialise {path}: {source}")]
    Json {
        /// The file it was meant for.
        path: PathBuf,
        /// The serialiser's reason.
        source: serde_json::Error,
    },
}

/// `frame_NNN_<camera>.jpg`: `seq` 1-based and zero-padded to 3 digits; characters of the camera
/// name other than ASCII letters, digits, `-` and `_` become `_` so the name stays one file.
pub fn frame_file_name(seq: usize, camera: &str) -> String {
    let camera: String = camera
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("frame_{seq:03}_{camera}.jpg")
}

/// Writes `frames` in order as `ai_frame_analysis/frames/frame_NNN_<camera>.jpg` under `ce_dir`,
/// then `ai_frame_analysis/manifest.json`, then removes frame files left from an earlier run that
/// the manifest does not list. Returns the manifest.
pub fn write_ai_frames(ce_dir: &Path, frames: &[AiFrameJpeg]) -> Result<Vec<ManifestEntry>, AiOutputError> {
    let analysis_dir = ce_dir.join(AI_FRAME_ANALYSIS_DIR);
    let frames_dir = analysis_dir.join(FRAMES_DIR);
    fs::create_dir_all(&frames_dir).map_err(|source| AiOutputError::Io {
        action: "create",
        path: frames_dir.clone(),
        source,
    })?;
    let total = frames.len();
    let mut manifest = Vec::with_capacity(total);
    for (index, frame) in frames.iter().enumerate() {
        let seq = index + 1;
        let filename = frame_file_name(seq, &frame.camera);
        write_file(&frames_dir.join(&filename), &frame.jpeg)?;
        manifest.push(ManifestEntry {
            filename,
            timestamp_sec: frame.timestamp_sec,
            camera: frame.camera.clone(),
            seq,
            total,
        });
    }
    write_json(&analysis_dir.join(MANIFEST_FILE), &manifest)?;
    let listed: HashSet<&str> = manifest.iter().map(|entry| entry.filename.as_str()).collect();
    remove_unlisted_frames(&frames_dir, &listed)?;
    Ok(manifest)
}

/// Writes `record` as `analysis_result.json` under `ce_dir`.
pub fn write_analysis_result(ce_dir: &Path, record: &AnalysisRecord) -> Result<(), AiOutputError> {
    write_json(&ce_dir.join(ANALYSIS_RESULT_FILE), record)
}

/// Reads the `analysis_result.json` under `ce_dir`; `None` when absent, unreadable or no
/// regular file (a FIFO there would block the reader).
pub fn read_analysis_result(ce_dir: &Path) -> Option<AnalysisRecord> {
    let bytes = read_regular_file(&ce_dir.join(ANALYSIS_RESULT_FILE)).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Deletes the `frame_*.jpg` files of `frames_dir` whose names are not in `listed`.
fn remove_unlisted_frames(frames_dir: &Path, listed: &HashSet<&str>) -> Result<(), AiOutputError> {
    let list_error = |source| AiOutputError::Io {
        action: "list",
        path: frames_dir.to_path_buf(),
        source,
    };
    for dir_entry in fs::read_dir(frames_dir).map_err(list_error)? {
        let path = dir_entry.map_err(list_error)?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if name.starts_with("frame_") && name.ends_with(".jpg") && !listed.contains(name) {
            fs::remove_file(&path).map_err(|source| AiOutputError::Io {
                action: "remove",
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Writes `value` as pretty JSON to `path`, atomically.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), AiOutputError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| AiOutputError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    write_file(path, &bytes)
}

/// Writes `bytes` to `path`, atomically.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), AiOutputError> {
    write_atomic(path, bytes).map_err(|source| AiOutputError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_analysis_result_that_is_a_fifo_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ANALYSIS_RESULT_FILE);
        assert!(std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success());
        assert!(read_analysis_result(dir.path()).is_none());
    }

    fn frame(camera: &str, timestamp_sec: f64, byte: u8) -> AiFrameJpeg {
        AiFrameJpeg {
            camera: camera.into(),
            timestamp_sec,
            jpeg: vec![0xFF, 0xD8, byte],
        }
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn frame_names_are_padded_and_safe() {
        assert_eq!(frame_file_name(1, "front_door"), "frame_001_front_door.jpg");
        assert_eq!(frame_file_name(45, "back-yard"), "frame_045_back-yard.jpg");
        assert_eq!(frame_file_name(1000, "a/../b c"), "frame_1000_a____b_c.jpg");
    }

    #[test]
    fn frames_and_manifest_are_laid_out_as_specified() {
        let ce = tempfile::tempdir().unwrap();
        let frames = [
            frame("porch", 0.0, 1),
            frame("driveway", 2.0, 2),
            frame("porch", 4.5, 3),
        ];
        let manifest = write_ai_frames(ce.path(), &frames).unwrap();
        let analysis_dir = ce.path().join("ai_frame_analysis");
        assert_eq!(names_in(ce.path()), ["ai_frame_analysis"]);
        assert_eq!(names_in(&analysis_dir), ["frames", "manifest.json"]);
        assert_eq!(
            names_in(&analysis_dir.join("frames")),
            ["frame_001_porch.jpg", "frame_002_driveway.jpg", "frame_003_porch.jpg"]
        );
        assert_eq!(
            fs::read(analysis_dir.join("frames/frame_002_driveway.jpg")).unwrap(),
            [0xFF, 0xD8, 2]
        );
        let on_disk: serde_json::Value =
            serde_json::from_slice(&fs::read(analysis_dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(
            on_disk,
            serde_json::json!([
                {"filename": "frame_001_porch.jpg", "timestamp_sec": 0.0, "camera": "porch", "seq": 1, "total": 3},
                {"filename": "frame_002_driveway.jpg", "timestamp_sec": 2.0, "camera": "driveway", "seq": 2, "total": 3},
                {"filename": "frame_003_porch.jpg", "timestamp_sec": 4.5, "camera": "porch", "seq": 3, "total": 3},
            ])
        );
        assert_eq!(manifest[1].filename, "frame_002_driveway.jpg");
    }

    #[test]
    fn a_rerun_with_fewer_frames_leaves_no_stale_frames() {
        let ce = tempfile::tempdir().unwrap();
        write_ai_frames(ce.path(), &[frame("a", 0.0, 1), frame("b", 2.0, 2), frame("a", 4.0, 3)]).unwrap();
        fs::write(ce.path().join("ai_frame_analysis/frames/notes.txt"), "kept").unwrap();
        write_ai_frames(ce.path(), &[frame("a", 0.0, 9), frame("a", 2.0, 8)]).unwrap();
        assert_eq!(
            names_in(&ce.path().join("ai_frame_analysis/frames")),
            ["frame_001_a.jpg", "frame_002_a.jpg", "notes.txt"]
        );
    }

    #[test]
    fn analysis_result_holds_the_answer_model_frames_and_time() {
        let ce = tempfile::tempdir().unwrap();
        let result = AnalysisResult {
            title: "Courier".into(),
            scene: "A courier walks up.".into(),
            short_summary: "Parcel delivered.".into(),
            confidence: 0.75,
            potential_threat_level: 1,
        };
        let created_at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let record = AnalysisRecord::new(result, "gemini-2.5-flash", 12, created_at);
        write_analysis_result(ce.path(), &record).unwrap();
        let bytes = fs::read(ce.path().join("analysis_result.json")).unwrap();
        let on_disk: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            on_disk,
            serde_json::json!({
                "title": "Courier", "scene": "A courier walks up.", "shortSummary": "Parcel delivered.",
                "confidence": 0.75, "potential_threat_level": 1,
                "model": "gemini-2.5-flash", "frames": 12, "created_at": "2023-11-14T22:13:20Z",
            })
        );
        assert_eq!(serde_json::from_slice::<AnalysisRecord>(&bytes).unwrap(), record);
        assert_eq!(names_in(ce.path()), ["analysis_result.json"]);
    }

    #[test]
    fn a_blocked_folder_is_named_in_the_error() {
        let ce = tempfile::tempdir().unwrap();
        fs::write(ce.path().join("ai_frame_analysis"), "not a folder").unwrap();
        let error = write_ai_frames(ce.path(), &[frame("a", 0.0, 1)]).unwrap_err();
        assert!(error.to_string().starts_with("cannot create "), "{error}");
        assert!(error.to_string().contains("ai_frame_analysis/frames"), "{error}");
    }
}
