//! The HTTP API on a free loopback port over a storage folder, as the API tests start it.

use frigate_buffer::api::{spawn_api, ApiConfig, ApiHooks, ApiServer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The API over `storage` behind `token` (if any), answering `/metrics` with `metrics()` and
/// treating the folders `is_active` names as still being worked on.
pub fn api_server(
    storage: &Path,
    token: Option<&str>,
    metrics: impl Fn() -> String + Send + Sync + 'static,
    is_active: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> ApiServer {
    let config = ApiConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        storage: storage.to_path_buf(),
        token: token.map(str::to_string),
        stats_refresh: Duration::from_secs(60),
    };
    let hooks = ApiHooks {
        metrics: Arc::new(metrics),
        is_active: Arc::new(is_active),
    };
    spawn_api(config, hooks).unwrap()
}

/// The API over `storage` behind `token`, with empty metrics and no active folder.
pub fn idle_api_server(storage: &Path, token: Option<&str>) -> ApiServer {
    api_server(storage, token, String::new, |_| false)
}
