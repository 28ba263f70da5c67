//! The user's actions on a CE: `POST /api/events/{id}/keep` moves its folder
//! to `<storage>/saved/events/` (out of retention's reach) and
//! `DELETE /api/events/{id}` removes it. Both refuse (409) a CE the service
//! still works on.
//!
//! Owns these two changes to the storage folder and nothing else; the CE is
//! found through the index (`events`), so only listed folders are touched.

use super::error::{run_blocking, RequestError};
use super::events::{find, CeEntry, SAVED_DIR};
use super::state::AppState;
use crate::ce::journal::replay::EVENTS_DIR;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::Json;
use std::fs;
use std::path::Path;

/// Answers `POST /api/events/{id}/keep` with the kept CE. Keeping a CE that
/// is already saved changes nothing.
pub async fn keep_event(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<CeEntry>, RequestError> {
    let storage = state.storage.clone();
    let is_active = state.hooks.is_active.clone();
    let kept = run_blocking(move || {
        let entry = find(&storage, &id)?;
        if entry.saved {
            return Ok(entry);
        }
        if is_active(&entry.folder) {
            return Err(RequestError::Active(entry.id));
        }
        move_to_saved(&storage, &entry)?;
        find(&storage, &entry.folder)
    })
    .await?;
    Ok(Json(kept))
}

/// Answers `DELETE /api/events/{id}` with 204 once the folder is gone.
pub async fn delete_event(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, RequestError> {
    let storage = state.storage.clone();
    let is_active = state.hooks.is_active.clone();
    run_blocking(move || {
        let entry = find(&storage, &id)?;
        if is_active(&entry.folder) {
            return Err(RequestError::Active(entry.id));
        }
        fs::remove_dir_all(&entry.path).map_err(|source| RequestError::Io {
            path: entry.path.clone(),
            source,
        })
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Renames the CE folder to `<storage>/saved/events/<folder>`; 409 when a
/// kept CE of that name exists already.
fn move_to_saved(storage: &Path, entry: &CeEntry) -> Result<(), RequestError> {
    let saved_events = storage.join(SAVED_DIR).join(EVENTS_DIR);
    fs::create_dir_all(&saved_events).map_err(|source| RequestError::Io {
        path: saved_events.clone(),
        source,
    })?;
    let target = saved_events.join(&entry.folder);
    if target.exists() {
        return Err(RequestError::Conflict(format!(
            "{}: a kept CE of this name exists already",
            target.display()
        )));
    }
    fs::rename(&entry.path, &target).map_err(|source| RequestError::Io {
        path: entry.path.clone(),
        source,
    })
}
