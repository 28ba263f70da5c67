//! The service's HTTP API (SPEC §9, §12): the viewer and player pages, the CE index and
//! actions, the files under the storage path, `/healthz` and `/metrics`.
//!
//! - [`server`]: the API's thread and runtime, bind and graceful stop.
//! - [`routes`]: the route table; `/healthz`, `/metrics`.
//! - [`state`]: [`AppState`](state::AppState), what every handler shares.
//! - [`auth`]: the optional bearer token.
//! - [`files`]: `/files/...`, confined to the storage folder, with ranges.
//! - [`range`]: the pure `Range` header rule.
//! - [`events`]: the CE index, `/api/events`.
//! - [`actions`]: keep and delete a CE.
//! - [`viewer`]: the page at `/`.
//! - [`player`]: the page of one CE at `/player/{ce}`.
//! - [`pages`]: the style and scripts the pages share.
//! - [`stats`]: `/api/stats` and the page at `/stats`.
//! - [`stats_figures`]: what `/api/stats` answers, computed from the CE journals, and its cache.
//! - [`daily`]: the daily reviews, `/api/daily` and the page at `/daily`.
//! - [`error`]: start-up and per-request errors.
//!
//! It reads CE folders and may move or remove a whole CE folder on the user's
//! request; it never writes inside one.

pub mod actions;
pub mod auth;
pub mod daily;
pub mod error;
pub mod events;
pub mod files;
pub mod pages;
pub mod player;
pub mod range;
pub mod routes;
pub mod server;
pub mod state;
pub mod stats;
pub mod stats_figures;
pub mod viewer;

pub use crate::ce::journal::CeStatus;
pub use error::ApiError;
pub use events::{CeEntry, CeLinks};
pub use server::{spawn_api, ApiServer, HEADER_READ_LIMIT};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where and how the API serves (`network.api_host`, `network.api_port`,
/// `network.storage_path`, `network.api_token`).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Address to listen on; localhost unless configured otherwise. Port 0
    /// lets the OS choose (see [`ApiServer::local_addr`]).
    pub bind: SocketAddr,
    /// The storage folder: the only files served, and where CEs are listed.
    pub storage: PathBuf,
    /// When set, every route but `/healthz` needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// How long `/api/stats` reuses its figures (`settings.stats_refresh_seconds`).
    pub stats_refresh: Duration,
}

/// What the API asks of the rest of the service.
#[derive(Clone)]
pub struct ApiHooks {
    /// Renders the Prometheus text served at `/metrics`.
    pub metrics: Arc<dyn Fn() -> String + Send + Sync>,
    /// Whether the CE in this folder (name under `events/`) is still being
    /// recorded or processed, so it must not be kept or deleted yet.
    pub is_active: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}
