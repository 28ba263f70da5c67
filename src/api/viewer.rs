//! `GET /`: the viewer page, a single dependency-free HTML file compiled into
//! the binary, which lists recent CEs through `/api/events` and plays their
//! summary videos from `/files/`.
//!
//! Owns serving the page only; what it shows is in
//! `assets/viewer/index.html`.

use axum::response::Html;

/// The page, embedded at build time.
const INDEX_HTML: &str = include_str!("../../assets/viewer/index.html");

/// Answers `GET /` with the viewer page.
pub async fn index_page() -> Html<&'static str> {
    Html(INDEX_HTML)
}
