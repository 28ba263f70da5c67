//! The CE index behind `GET /api/events` and `GET /api/events/{id}`: one
//! entry per folder under `<storage>/events/` and `<storage>/saved/events/`,
//! from its `journal.jsonl`, its `analysis_result.json` and the files present.
//!
//! Owns the JSON shape of a CE; its status and facts come from the journal's reader
//! (`ce::journal::read_facts`).
//! It only reads the disk; keeping and deleting are in `actions`.

use super::error::{run_blocking, RequestError};
use super::state::AppState;
use crate::ce::journal::replay::{CANCELED_SUFFIX, EVENTS_DIR};
use crate::ce::journal::{read_facts, CeStatus, JournalError, JournalFacts};
use axum::extract::{Path as UrlPath, State};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The folder under the storage path that holds kept CEs (`saved/events/`).
pub const SAVED_DIR: &str = "saved";

/// The preview GIF of a CE folder.
const GIF_FILE_NAME: &str = "notification.gif";

/// The AI analysis of a CE folder.
const ANALYSIS_FILE_NAME: &str = "analysis_result.json";

/// Suffix of the summary video's file name, `<folder>_summary.mp4`.
const SUMMARY_SUFFIX: &str = "_summary.mp4";

/// The CE's record of itself, with its camera timeline.
const METADATA_FILE: &str = "metadata.json";

/// A camera's detection sidecar inside its sub-folder.
const SIDECAR_FILE_NAME: &str = "detection.json";

/// A camera's pictures with the subject in view, best first: Frigate's
/// snapshot of the event, then the frame of the largest detection.
const POSTER_FILE_NAMES: &[&str] = &["snapshot.jpg", crate::sidecar::poster::POSTER_FILE];

/// Sub-folders of a CE folder that are not cameras.
const NON_CAMERA_DIRS: &[&str] = &["ai_frame_analysis"];

/// One CE as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CeEntry {
    /// `ce_<start>_<hex8>`: the id notifications carry.
    pub id: String,
    /// The folder name, the other way to address the CE.
    pub folder: String,
    /// Whether the CE was kept (lives under `saved/events/`).
    pub saved: bool,
    /// Where the CE stands, from its journal.
    pub status: CeStatus,
    /// Start of the opening event, epoch seconds.
    pub start_time: Option<f64>,
    /// End of the last event, epoch seconds; `None` while an event runs.
    pub end_time: Option<f64>,
    /// The CE's cameras: the journal's, then any other camera sub-folder.
    pub cameras: Vec<String>,
    /// The AI analysis title.
    pub title: Option<String>,
    /// The AI analysis summary.
    pub description: Option<String>,
    /// The AI analysis threat level (0, 1 or 2).
    pub threat_level: Option<u8>,
    /// URLs of the CE's files under `/files/`.
    pub links: CeLinks,
    /// The folder on disk, for the actions; not part of the JSON.
    #[serde(skip)]
    pub path: PathBuf,
}

/// URLs (under `/files/`) of the files a CE has now; absent files are `null`
/// or missing from the maps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CeLinks {
    /// The summary video.
    pub summary: Option<String>,
    /// The preview GIF.
    pub gif: Option<String>,
    /// `analysis_result.json`.
    pub analysis: Option<String>,
    /// Camera → its clip.
    pub clips: BTreeMap<String, String>,
    /// Camera → its `detection.json`.
    pub sidecars: BTreeMap<String, String>,
    /// Camera → a picture with the subject in view (`snapshot.jpg`, else
    /// `poster.jpg`), the poster frame of its clip.
    pub posters: BTreeMap<String, String>,
    /// The poster of the summary video: the first camera's (in `cameras`
    /// order) that has one.
    pub summary_poster: Option<String>,
    /// `metadata.json`, the CE's record with its camera timeline.
    pub metadata: Option<String>,
    /// The player page of the CE (`/player/<folder>`).
    pub player: String,
}

/// Answers `GET /api/events`: every CE, newest first.
pub async fn list_events(State(state): State<AppState>) -> Result<Json<Vec<CeEntry>>, RequestError> {
    let storage = state.storage.clone();
    Ok(Json(run_blocking(move || index(&storage)).await?))
}

/// Answers `GET /api/events/{id}` (CE id or folder name).
pub async fn get_event(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<CeEntry>, RequestError> {
    let storage = state.storage.clone();
    Ok(Json(run_blocking(move || find(&storage, &id)).await?))
}

/// Every CE under `storage`, newest first (by start time, then folder name).
pub fn index(storage: &Path) -> Result<Vec<CeEntry>, RequestError> {
    let mut entries = Vec::new();
    for (parent, saved) in [
        (storage.join(EVENTS_DIR), false),
        (storage.join(SAVED_DIR).join(EVENTS_DIR), true),
    ] {
        for folder in sub_folders(&parent)? {
            entries.extend(read_entry(&folder, saved)?);
        }
    }
    entries.sort_by(|a, b| {
        b.start_time
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.start_time.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| b.folder.cmp(&a.folder))
    });
    Ok(entries)
}

/// The CE whose id or folder name is `id`; only folders the index lists can
/// match, so no request names a path of its own.
pub fn find(storage: &Path, id: &str) -> Result<CeEntry, RequestError> {
    index(storage)?
        .into_iter()
        .find(|entry| entry.id == id || entry.folder == id)
        .ok_or_else(|| RequestError::NotFound(format!("CE {id}")))
}

/// The sub-folders of `parent`, sorted; none when `parent` does not exist.
fn sub_folders(parent: &Path) -> Result<Vec<PathBuf>, RequestError> {
    let read_error = |source| RequestError::Io {
        path: parent.to_path_buf(),
        source,
    };
    let listing = match fs::read_dir(parent) {
        Ok(listing) => listing,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(read_error(error)),
    };
    let mut folders = Vec::new();
    for dir_entry in listing {
        let dir_entry = dir_entry.map_err(read_error)?;
        if dir_entry.file_type().map_err(read_error)?.is_dir() {
            folders.push(dir_entry.path());
        }
    }
    folders.sort();
    Ok(folders)
}

/// The entry of one CE folder; `None` when the folder vanished since it was
/// listed (deleted by retention or a concurrent request).
fn read_entry(folder: &Path, saved: bool) -> Result<Option<CeEntry>, RequestError> {
    let name = folder
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let url_base = if saved {
        format!("/files/{SAVED_DIR}/{EVENTS_DIR}/{}", url_segment(&name))
    } else {
        format!("/files/{EVENTS_DIR}/{}", url_segment(&name))
    };
    let url = |relative: &str| format!("{url_base}/{relative}");
    let facts = journal_facts(folder)?;
    let base_name = name.strip_suffix(CANCELED_SUFFIX).unwrap_or(&name);

    let mut links = CeLinks::default();
    let mut cameras = facts.as_ref().map(|facts| facts.cameras.clone()).unwrap_or_default();
    let io_error = |source| RequestError::Io {
        path: folder.to_path_buf(),
        source,
    };
    let listing = match fs::read_dir(folder) {
        Ok(listing) => listing,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(error)),
    };
    let mut names: Vec<(String, bool)> = Vec::new();
    for dir_entry in listing {
        let dir_entry = dir_entry.map_err(io_error)?;
        let is_dir = dir_entry.file_type().map_err(io_error)?.is_dir();
        names.push((dir_entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    names.sort();
    for (file, is_dir) in &names {
        if *is_dir {
            if NON_CAMERA_DIRS.contains(&file.as_str()) {
                continue;
            }
            let camera_dir = folder.join(file);
            if let Some(clip) = first_clip(&camera_dir) {
                links.clips.insert(
                    file.clone(),
                    url(&format!("{}/{}", url_segment(file), url_segment(&clip))),
                );
            }
            if let Some(poster) = POSTER_FILE_NAMES
                .iter()
                .find(|poster| camera_dir.join(poster).is_file())
            {
                links
                    .posters
                    .insert(file.clone(), url(&format!("{}/{poster}", url_segment(file))));
            }
            if camera_dir.join(SIDECAR_FILE_NAME).is_file() {
                links
                    .sidecars
                    .insert(file.clone(), url(&format!("{}/{SIDECAR_FILE_NAME}", url_segment(file))));
            }
            if (links.clips.contains_key(file) || links.sidecars.contains_key(file)) && !cameras.contains(file) {
                cameras.push(file.clone());
            }
        } else if file.ends_with(SUMMARY_SUFFIX) && links.summary.is_none() {
            links.summary = Some(url(&url_segment(file)));
        } else if file == GIF_FILE_NAME {
            links.gif = Some(url(GIF_FILE_NAME));
        } else if file == ANALYSIS_FILE_NAME {
            links.analysis = Some(url(ANALYSIS_FILE_NAME));
        } else if file == METADATA_FILE {
            links.metadata = Some(url(METADATA_FILE));
        }
    }
    links.summary_poster = cameras.iter().find_map(|camera| links.posters.get(camera)).cloned();
    links.player = format!("/player/{}", url_segment(&name));

    let status = match &facts {
        _ if name.ends_with(CANCELED_SUFFIX) => CeStatus::Canceled,
        Some(facts) => facts.status(),
        None if links.summary.is_some() => CeStatus::Finished,
        None => CeStatus::Failed,
    };
    let analysis = read_analysis(&folder.join(ANALYSIS_FILE_NAME));
    Ok(Some(CeEntry {
        id: facts
            .as_ref()
            .and_then(|facts| facts.ce_id.clone())
            .unwrap_or_else(|| format!("ce_{base_name}")),
        folder: name.clone(),
        saved,
        status,
        start_time: facts
            .as_ref()
            .and_then(|facts| facts.start_time)
            .or_else(|| start_from_folder_name(base_name)),
        end_time: facts.as_ref().and_then(|facts| facts.end_time),
        cameras,
        title: analysis.title,
        description: analysis.description,
        threat_level: analysis.threat_level,
        links,
        path: folder.to_path_buf(),
    }))
}

/// What the folder's journal says, through the journal's own reader. A journal with a line that is
/// no journal line is shown as if it had none (the CE is then judged by its files), so one damaged
/// file does not hide the index.
fn journal_facts(folder: &Path) -> Result<Option<JournalFacts>, RequestError> {
    match read_facts(folder) {
        Ok(facts) => Ok(facts),
        Err(JournalError::Read { path, source }) => Err(RequestError::Io { path, source }),
        Err(error) => {
            tracing::warn!("{error}");
            Ok(None)
        }
    }
}

/// The first `.mp4` in a camera folder, by name.
fn first_clip(camera_dir: &Path) -> Option<String> {
    let mut clips: Vec<String> = fs::read_dir(camera_dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|dir_entry| dir_entry.file_name().to_string_lossy().into_owned())
        .filter(|file| file.ends_with(".mp4"))
        .collect();
    clips.sort();
    clips.into_iter().next()
}

/// What the API shows of `analysis_result.json`.
#[derive(Debug, Default, PartialEq)]
struct AnalysisFacts {
    /// `title`.
    title: Option<String>,
    /// `shortSummary`, else `description`.
    description: Option<String>,
    /// `potential_threat_level`, as a number or a numeric string.
    threat_level: Option<u8>,
}

/// Reads an analysis file leniently; missing or malformed gives no facts.
fn read_analysis(path: &Path) -> AnalysisFacts {
    let Some(value) = fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
    else {
        return AnalysisFacts::default();
    };
    analysis_facts(&value)
}

/// The shown fields of a parsed analysis.
fn analysis_facts(value: &serde_json::Value) -> AnalysisFacts {
    let text = |key: &str| value.get(key).and_then(|field| field.as_str()).map(str::to_string);
    let threat = value.get("potential_threat_level").and_then(|level| match level {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    });
    AnalysisFacts {
        title: text("title"),
        description: text("shortSummary").or_else(|| text("description")),
        threat_level: threat
            .filter(|level| level.fract() == 0.0 && (0.0..=255.0).contains(level))
            .map(|level| level as u8),
    }
}

/// The start time encoded in a folder name `<int start_ts>_<hex8>`.
fn start_from_folder_name(name: &str) -> Option<f64> {
    name.split_once('_')?.0.parse::<u64>().ok().map(|start| start as f64)
}

/// Percent-encodes one URL path segment (everything but RFC 3986 unreserved
/// characters).
pub fn url_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_accepts_short_summary_or_description() {
        let facts = analysis_facts(&serde_json::json!({
            "title": "Courier", "shortSummary": "A parcel.", "description": "x", "potential_threat_level": 1
        }));
        assert_eq!(
            facts,
            AnalysisFacts {
                title: Some("Courier".to_string()),
                description: Some("A parcel.".to_string()),
                threat_level: Some(1),
            }
        );
        let facts = analysis_facts(&serde_json::json!({"description": "Cat", "potential_threat_level": "2"}));
        assert_eq!(facts.description.as_deref(), Some("Cat"));
        assert_eq!(facts.threat_level, Some(2));
        assert_eq!(
            analysis_facts(&serde_json::json!({"potential_threat_level": 1.5})).threat_level,
            None
        );
    }

    #[test]
    fn folder_names_give_a_start_and_segments_are_encoded() {
        assert_eq!(start_from_folder_name("1700000000_0badf00d"), Some(1_700_000_000.0));
        assert_eq!(start_from_folder_name("notes"), None);
        assert_eq!(url_segment("front door/ü"), "front%20door%2F%C3%BC");
        assert_eq!(url_segment("porch-1_a.mp4"), "porch-1_a.mp4");
    }
}
