//! The state every handler of the HTTP API shares: the storage folder, the token, the
//! hooks into the rest of the service. Its own file, so the handlers and the route table
//! both use it without importing each other.

use super::stats_figures::StatsCache;
use super::ApiHooks;
use std::path::PathBuf;
use std::sync::Arc;

/// What every handler may read.
#[derive(Clone)]
pub struct AppState {
    /// The canonical storage folder: every served file must resolve inside it.
    pub storage: Arc<PathBuf>,
    /// The bearer token, when one is configured.
    pub token: Option<Arc<str>>,
    /// Metrics text and the active-CE check, from the rest of the service.
    pub hooks: ApiHooks,
    /// The last `/api/stats` figures.
    pub stats: StatsCache,
}
