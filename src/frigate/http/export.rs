//! Clips through Frigate's export API: start an export, wait for it, download it, delete it.
//!
//! Owns the export flow of Frigate 0.17 and of 0.18 (renamed status and delete routes) and the
//! one-time probe of which of the two the server speaks. It may not choose fallbacks; it reports
//! failure and leaves the next source to the caller.
//!
//! Version differences, as Frigate's API documents them:
//! - both: `POST /api/export/{camera}/start/{s}/end/{e}` with `{name, playback, source}` answers
//!   `{success, message, export_id}` (0.17: 200; 0.18: 202 and `status: "queued"`); the finished file
//!   is served at `/exports/<basename(video_path)>`.
//! - 0.17: progress from the `GET /api/exports` list; `DELETE /api/export/{id}`.
//! - 0.18: progress from `GET /api/exports/{id}` (404 while the job is still queued) and the active
//!   jobs at `GET /api/jobs/export` (`[{id, status, ...}]`); `POST /api/exports/delete` with
//!   `{"ids": [id]}`. The jobs route exists only from 0.18 on, so it is the probe.

use std::path::Path;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::client::{parse_json, HttpClient, Method};
use super::deadline::Deadline;
use super::download::{self, Bounds, Media};
use super::error::{FetchError, RetryOn};
use super::routes;

/// The time budget of deleting an export. It is housekeeping with a budget of its own, so a clip that
/// ran out of time still removes its export from Frigate.
const DELETE_BUDGET: Duration = Duration::from_secs(30);

/// Which generation of the export routes a Frigate server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFlavour {
    /// Frigate 0.14–0.17.
    V017,
    /// Frigate 0.18 and later.
    V018,
}

/// Frigate's answer to starting an export.
#[derive(Debug, Deserialize)]
struct StartAnswer {
    /// Whether the export was accepted.
    success: bool,
    /// Frigate's explanation, kept for the error when it refuses.
    #[serde(default)]
    message: String,
    /// The id to follow the export by; absent on refusal.
    export_id: Option<String>,
}

/// One export as Frigate lists it (fields this flow does not need are ignored).
#[derive(Debug, Clone, Deserialize)]
struct ExportEntry {
    /// Frigate's id of the export.
    id: String,
    /// Where Frigate writes the file; its base name is the download path.
    video_path: String,
    /// True until the file is complete.
    in_progress: bool,
}

/// One active export job of Frigate 0.18.
#[derive(Debug, Deserialize)]
struct ExportJob {
    /// The export id the job will produce.
    id: String,
    /// `queued` or `running` while active; anything else means it ended.
    #[serde(default)]
    status: String,
}

/// Where an export stands after one look.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    /// Still queued or running.
    Pending,
    /// Finished; the file is at this `video_path`.
    Done(String),
    /// Frigate dropped it.
    Failed,
}

/// Judges one look at an export: its entry (if listed), whether a job for it is still active, and
/// whether it was ever seen before (an export not yet listed is young, one that vanished has failed).
fn judge(entry: Option<&ExportEntry>, job_active: bool, seen_before: bool) -> Progress {
    match entry {
        Some(entry) if !entry.in_progress => Progress::Done(entry.video_path.clone()),
        Some(_) => Progress::Pending,
        None if job_active || !seen_before => Progress::Pending,
        None => Progress::Failed,
    }
}

/// The export API of one Frigate server, with the flavour it speaks remembered after the first probe.
#[derive(Debug, Default)]
pub struct ExportApi {
    /// The probed flavour; empty until a probe got a clear answer.
    flavour: OnceLock<ExportFlavour>,
}

impl ExportApi {
    /// Exports `camera` over `[start_ts, end_ts]` from Frigate and downloads it to `dest` within
    /// `bounds`; returns the export id and the file size. An export that was started is deleted on
    /// Frigate afterwards, whatever happened; a failed deletion is pushed to `setbacks` and does not
    /// fail the clip.
    pub fn fetch(
        &self,
        http: &HttpClient,
        camera: &str,
        (start_ts, end_ts): (f64, f64),
        dest: &Path,
        bounds: Bounds,
        setbacks: &mut Vec<FetchError>,
    ) -> Result<(String, u64), FetchError> {
        let deadline = &bounds.deadline;
        let flavour = self.flavour(http, deadline)?;
        let export_id = start(http, camera, start_ts, end_ts, deadline)?;
        let downloaded = wait_until_done(http, flavour, camera, &export_id, deadline).and_then(|video_path| {
            let file = routes::export_file(&video_path).ok_or_else(|| FetchError::BadAnswer {
                url: http.url(&routes::export(&export_id)),
                reason: format!("export {export_id} has no file name in video_path {video_path:?}"),
            })?;
            download::download(http, &file, dest, Media::Mp4, RetryOn::ServerTrouble, bounds)
        });
        if let Err(error) = delete(http, flavour, &export_id) {
            setbacks.push(error);
        }
        downloaded.map(|bytes| (export_id, bytes))
    }

    /// The flavour of the server, probed once through the 0.18-only jobs route and then remembered.
    /// A probe that gets no clear answer (transport failure, 5xx, other 4xx) is not remembered.
    fn flavour(&self, http: &HttpClient, deadline: &Deadline) -> Result<ExportFlavour, FetchError> {
        if let Some(flavour) = self.flavour.get() {
            return Ok(*flavour);
        }
        let answer = http.exchange(Method::Get, routes::EXPORT_JOBS, None, deadline)?;
        let flavour = match answer.status {
            200..=299 => ExportFlavour::V018,
            404 | 405 => ExportFlavour::V017,
            status => {
                return Err(FetchError::Http {
                    url: http.url(routes::EXPORT_JOBS),
                    status,
                })
            }
        };
        Ok(*self.flavour.get_or_init(|| flavour))
    }
}

/// Starts the export and returns its id.
fn start(
    http: &HttpClient,
    camera: &str,
    start_ts: f64,
    end_ts: f64,
    deadline: &Deadline,
) -> Result<String, FetchError> {
    let path = routes::export_start(camera, start_ts, end_ts);
    let body = json!({
        "name": format!("frigate-buffer {camera} {start_ts}-{end_ts}"),
        "playback": "realtime",
        "source": "recordings",
    });
    let answer = http.exchange(Method::Post, &path, Some(&body), deadline)?;
    let url = http.url(&path);
    if !answer.is_success() {
        let message = parse_json::<StartAnswer>(&url, &answer.body)
            .map(|refusal| refusal.message)
            .unwrap_or(answer.body);
        return Err(FetchError::ExportRefused {
            camera: camera.to_string(),
            status: answer.status,
            message,
        });
    }
    let started: StartAnswer = parse_json(&url, &answer.body)?;
    match started.export_id {
        Some(export_id) if started.success => Ok(export_id),
        _ => Err(FetchError::ExportRefused {
            camera: camera.to_string(),
            status: answer.status,
            message: started.message,
        }),
    }
}

/// Polls the export until it finished (returns its `video_path`), failed, or ran out of time: the
/// export timeout, or the fetch's deadline when that comes first.
fn wait_until_done(
    http: &HttpClient,
    flavour: ExportFlavour,
    camera: &str,
    export_id: &str,
    deadline: &Deadline,
) -> Result<String, FetchError> {
    let policy = http.policy();
    let began = Instant::now();
    let patience = policy.export_timeout.min(deadline.remaining());
    let mut seen_before = false;
    loop {
        let entry = look_up(http, flavour, export_id, deadline)?;
        let job_active = entry.is_none() && flavour == ExportFlavour::V018 && job_is_active(http, export_id, deadline)?;
        match judge(entry.as_ref(), job_active, seen_before) {
            Progress::Done(video_path) => return Ok(video_path),
            Progress::Failed => {
                return Err(FetchError::ExportFailed {
                    camera: camera.to_string(),
                    export_id: export_id.to_string(),
                })
            }
            Progress::Pending => seen_before |= entry.is_some() || job_active,
        }
        if began.elapsed() + policy.export_poll_interval > patience {
            return Err(FetchError::ExportTimedOut {
                camera: camera.to_string(),
                export_id: export_id.to_string(),
                waited: began.elapsed(),
            });
        }
        thread::sleep(policy.export_poll_interval);
    }
}

/// The export's entry as Frigate lists it now, if listed.
fn look_up(
    http: &HttpClient,
    flavour: ExportFlavour,
    export_id: &str,
    deadline: &Deadline,
) -> Result<Option<ExportEntry>, FetchError> {
    match flavour {
        ExportFlavour::V017 => {
            let entries: Vec<ExportEntry> = http.get_json(routes::EXPORTS, deadline)?;
            Ok(entries.into_iter().find(|entry| entry.id == export_id))
        }
        ExportFlavour::V018 => {
            let path = routes::export(export_id);
            let answer = http.exchange(Method::Get, &path, None, deadline)?;
            match answer.status {
                404 => Ok(None),
                200..=299 => parse_json(&http.url(&path), &answer.body).map(Some),
                status => Err(FetchError::Http {
                    url: http.url(&path),
                    status,
                }),
            }
        }
    }
}

/// Whether Frigate 0.18 still has a queued or running job for the export.
fn job_is_active(http: &HttpClient, export_id: &str, deadline: &Deadline) -> Result<bool, FetchError> {
    let jobs: Vec<ExportJob> = http.get_json(routes::EXPORT_JOBS, deadline)?;
    Ok(jobs
        .iter()
        .any(|job| job.id == export_id && matches!(job.status.as_str(), "queued" | "running")))
}

/// Deletes the export on Frigate; an export that is already gone (404, 422) counts as deleted.
fn delete(http: &HttpClient, flavour: ExportFlavour, export_id: &str) -> Result<(), FetchError> {
    let deadline = Deadline::after(DELETE_BUDGET);
    let (path, answer) = match flavour {
        ExportFlavour::V017 => {
            let path = routes::export_delete_v017(export_id);
            let answer = http.exchange(Method::Delete, &path, None, &deadline)?;
            (path, answer)
        }
        ExportFlavour::V018 => {
            let answer = http.exchange(
                Method::Post,
                routes::EXPORTS_DELETE,
                Some(&json!({ "ids": [export_id] })),
                &deadline,
            )?;
            (routes::EXPORTS_DELETE.to_string(), answer)
        }
    };
    match answer.status {
        200..=299 | 404 | 422 => Ok(()),
        status => Err(FetchError::Http {
            url: http.url(&path),
            status,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(in_progress: bool) -> ExportEntry {
        ExportEntry {
            id: "front_a1b2c3".into(),
            video_path: "/media/frigate/exports/front_a1b2c3.mp4".into(),
            in_progress,
        }
    }

    #[test]
    fn finished_entry_is_done_with_its_video_path() {
        assert_eq!(
            judge(Some(&entry(false)), false, true),
            Progress::Done("/media/frigate/exports/front_a1b2c3.mp4".into())
        );
    }

    #[test]
    fn entry_in_progress_is_pending() {
        assert_eq!(judge(Some(&entry(true)), false, false), Progress::Pending);
    }

    #[test]
    fn unlisted_export_is_young_until_it_was_once_seen() {
        assert_eq!(judge(None, false, false), Progress::Pending);
        assert_eq!(judge(None, false, true), Progress::Failed);
    }

    #[test]
    fn unlisted_export_with_an_active_job_is_pending() {
        assert_eq!(judge(None, true, true), Progress::Pending);
    }

    #[test]
    fn frigate_answers_parse() {
        let started: StartAnswer = serde_json::from_str(
            r#"{"success": true, "message": "Export queued.", "export_id": "front_a1b2c3", "status": "queued"}"#,
        )
        .unwrap();
        assert!(started.success);
        assert_eq!(started.export_id.as_deref(), Some("front_a1b2c3"));
        let listed: Vec<ExportEntry> = serde_json::from_str(
            r#"[{"id": "front_a1b2c3", "camera": "front", "name": "n", "date": 1.5,
                 "video_path": "/media/frigate/exports/front_a1b2c3.mp4", "thumb_path": "", "in_progress": true}]"#,
        )
        .unwrap();
        assert!(listed[0].in_progress);
        let jobs: Vec<ExportJob> = serde_json::from_str(r#"[{"id": "front_a1b2c3", "status": "queued"}]"#).unwrap();
        assert_eq!(jobs[0].status, "queued");
    }
}
