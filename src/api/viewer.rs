//! `GET /`: the viewer page, a single dependency-free HTML file compiled into
//! the binary, which lists recent CEs through `/api/events` and plays their
//! summary videos from `/files/`.
//!
//! Owns serving the page only; what it shows is in
//! `assets/viewer/index.html`.

use super::pages::assembled;
use axum::response::Html;
use std::sync::OnceLock;

/// The page, embedded at build time.
const INDEX_HTML: &str = include_str!("../../assets/viewer/index.html");

/// The page with its shared script, made once.
static PAGE: OnceLock<String> = OnceLock::new();

/// Answers `GET /` with the viewer page.
pub async fn index_page() -> Html<&'static str> {
    Html(assembled(&PAGE, INDEX_HTML))
}
