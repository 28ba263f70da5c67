//! `GET /player/{ce}`: the player page of one CE, a single dependency-free
//! HTML file compiled into the binary. It plays the summary and every
//! camera's clip with their poster frames, draws the camera timeline (from
//! `metadata.json`) and the detections over time (from the sidecars), shows
//! the AI analysis, and offers keep and delete, all through the JSON and file
//! routes, passing on the page's `access_token`.
//!
//! Owns resolving the CE of the URL (only CEs the index lists, so no request
//! names a path of its own) and serving the page with that CE's folder name
//! in it; what the page shows is in `assets/player/index.html`.

use super::error::{run_blocking, RequestError};
use super::events::{find, CeEntry};
use super::pages::assembled;
use super::state::AppState;
use crate::ce::journal::replay::CANCELED_SUFFIX;
use axum::extract::{Path as UrlPath, State};
use axum::response::Html;
use std::path::Path;
use std::sync::OnceLock;

/// The page, embedded at build time.
const PLAYER_HTML: &str = include_str!("../../assets/player/index.html");

/// The page with its shared script, made once.
static PAGE: OnceLock<String> = OnceLock::new();

/// Where the page's HTML takes the CE's folder name.
const CE_PLACEHOLDER: &str = "{{CE_FOLDER}}";

/// Answers `GET /player/{ce}` (CE id or folder name) with the page, or 404.
pub async fn player_page(
    State(state): State<AppState>,
    UrlPath(ce): UrlPath<String>,
) -> Result<Html<String>, RequestError> {
    let storage = state.storage.clone();
    let entry = run_blocking(move || find_for_player(&storage, &ce)).await?;
    Ok(Html(
        assembled(&PAGE, PLAYER_HTML).replace(CE_PLACEHOLDER, &attribute_text(&entry.folder)),
    ))
}

/// The CE named `ce`; a folder name also finds the CE after it was canceled
/// (its folder renamed `<folder>-canceled`), as notifications name the folder
/// it had when they were sent.
fn find_for_player(storage: &Path, ce: &str) -> Result<CeEntry, RequestError> {
    match find(storage, ce) {
        Err(RequestError::NotFound(what)) => {
            if ce.ends_with(CANCELED_SUFFIX) {
                return Err(RequestError::NotFound(what));
            }
            find(storage, &format!("{ce}{CANCELED_SUFFIX}")).map_err(|_| RequestError::NotFound(what))
        }
        found => found,
    }
}

/// `text` escaped for a double-quoted HTML attribute.
fn attribute_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_one_place_for_the_ce_and_names_are_escaped() {
        assert_eq!(PLAYER_HTML.matches(CE_PLACEHOLDER).count(), 1);
        assert_eq!(
            attribute_text(r#"1_a"><script>&'"#),
            "1_a&quot;&gt;&lt;script&gt;&amp;&#39;"
        );
    }

    #[test]
    fn a_canceled_ce_is_found_by_the_folder_it_had() {
        let storage = tempfile::tempdir().unwrap();
        let canceled = storage
            .path()
            .join("events")
            .join(format!("1700000000_0badf00d{CANCELED_SUFFIX}"));
        std::fs::create_dir_all(&canceled).unwrap();
        let entry = find_for_player(storage.path(), "1700000000_0badf00d").unwrap();
        assert_eq!(entry.folder, format!("1700000000_0badf00d{CANCELED_SUFFIX}"));
        assert!(matches!(
            find_for_player(storage.path(), "1700000001_0badf00d"),
            Err(RequestError::NotFound(_))
        ));
    }
}
