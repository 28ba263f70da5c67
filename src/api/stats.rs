//! `GET /api/stats` and the page at `GET /stats`, which shows those figures and refreshes itself
//! as often as they are recomputed.
//!
//! Owns the two routes' handlers; the figures and their cache are `stats_figures`'.

use super::error::{run_blocking, RequestError};
use super::pages::assembled;
use super::state::AppState;
use super::stats_figures::{compute, Stats};
use axum::extract::State;
use axum::response::Html;
use axum::Json;
use chrono::Local;
use std::sync::OnceLock;

/// The page, embedded at build time.
const STATS_HTML: &str = include_str!("../../assets/stats/index.html");

/// Answers `GET /stats` with the page.
pub async fn stats_page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(assembled(&PAGE, STATS_HTML))
}

/// Answers `GET /api/stats`.
pub async fn get_stats(State(state): State<AppState>) -> Result<Json<Stats>, RequestError> {
    let cache = &state.stats;
    let stats = cache
        .get_or_compute(async {
            let storage = state.storage.clone();
            let metrics = (state.hooks.metrics)();
            let refresh = cache.refresh();
            run_blocking(move || compute(&storage, &metrics, refresh, Local::now())).await
        })
        .await?;
    Ok(Json(stats))
}
