//! The route table of the HTTP API, plus the two one-line routes (`/healthz`, `/metrics`).
//!
//! Owns which path goes to which handler and which routes the bearer token
//! guards: all but `/healthz` and the `/stats` and `/daily` pages, which hold no
//! data of their own and send the token with the requests for their data.
//! Handlers live with their concept.

use super::state::AppState;
use super::{actions, auth, daily, events, files, player, stats, viewer};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

/// Prometheus text exposition format, version 0.0.4.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The full router: guarded routes behind [`auth::require_token`], then the
/// open `/healthz` and pages.
pub fn router(state: AppState) -> Router {
    let guarded = Router::new()
        .route("/", get(viewer::index_page))
        .route("/metrics", get(metrics))
        .route("/api/events", get(events::list_events))
        .route("/api/events/{id}", get(events::get_event).delete(actions::delete_event))
        .route("/api/events/{id}/keep", post(actions::keep_event))
        .route("/files/{*path}", get(files::serve_file))
        .route("/player/{ce}", get(player::player_page))
        .route("/api/stats", get(stats::get_stats))
        .route("/api/daily", get(daily::list_daily))
        .route("/api/daily/{date}", get(daily::get_daily))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_token));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/stats", get(stats::stats_page))
        .route("/daily", get(daily::daily_page))
        .merge(guarded)
        .with_state(state)
}

/// `GET /healthz`: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`: the service's Prometheus text.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(CONTENT_TYPE, METRICS_CONTENT_TYPE)], (state.hooks.metrics)())
}
