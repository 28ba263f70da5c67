//! The HTTP API's own thread: a current-thread tokio runtime serving the
//! router on the configured address until asked to stop.
//!
//! Owns binding, the thread and the graceful stop (no new connections, then
//! at most [`DRAIN_LIMIT`] for requests in flight). It knows no route.

use super::error::ApiError;
use super::routes::{router, AppState};
use super::{ApiConfig, ApiHooks};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// How long a stop waits for responses in flight (a long video download)
/// before dropping their connections.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// A running HTTP API. Stops when [`ApiServer::stop`] is called or when
/// dropped.
pub struct ApiServer {
    /// The address actually bound (the OS-chosen port when 0 was asked).
    local_addr: SocketAddr,
    /// Set to `true` to ask the server thread to stop.
    stop_signal: watch::Sender<bool>,
    /// The server thread, joined on stop; `None` once joined.
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

/// Binds `config.bind`, then serves the API on a thread of its own. Fails at
/// once when the storage folder is missing or the address cannot be bound.
pub fn spawn_api(config: ApiConfig, hooks: ApiHooks) -> Result<ApiServer, ApiError> {
    let storage = config.storage.canonicalize().map_err(|source| ApiError::Storage {
        path: config.storage.clone(),
        source,
    })?;
    let bind_error = |source| ApiError::Bind {
        addr: config.bind,
        source,
    };
    let listener = std::net::TcpListener::bind(config.bind).map_err(bind_error)?;
    listener.set_nonblocking(true).map_err(bind_error)?;
    let local_addr = listener.local_addr().map_err(bind_error)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| ApiError::Start { source })?;
    let listener = {
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(bind_error)?
    };
    let app = router(AppState {
        storage: Arc::new(storage),
        token: config.token.map(Arc::from),
        hooks,
    });
    let (stop_signal, stop_requested) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("http-api".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                let mut drain_deadline = stop_requested.clone();
                let mut graceful = stop_requested;
                let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                    // An error means the sender is gone: stop as well.
                    let _ = graceful.wait_for(|stop| *stop).await;
                });
                tokio::select! {
                    served = serve => served,
                    _ = async move {
                        let _ = drain_deadline.wait_for(|stop| *stop).await;
                        tokio::time::sleep(DRAIN_LIMIT).await;
                    } => Ok(()),
                }
            })
        })
        .map_err(|source| ApiError::Start { source })?;
    Ok(ApiServer {
        local_addr,
        stop_signal,
        thread: Some(thread),
    })
}

impl ApiServer {
    /// The address the API listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets requests in flight finish (at most
    /// [`DRAIN_LIMIT`]) and joins the thread; reports how serving ended.
    pub fn stop(mut self) -> Result<(), ApiError> {
        self.shut_down()
    }

    /// Signals the stop and joins the thread, once.
    fn shut_down(&mut self) -> Result<(), ApiError> {
        let _ = self.stop_signal.send(true);
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let addr = self.local_addr;
        match thread.join() {
            Ok(served) => served.map_err(|source| ApiError::Serve { addr, source }),
            Err(_) => Err(ApiError::Panicked { addr }),
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        // Dropping cannot report; `stop` is the way to see how serving ended.
        let _ = self.shut_down();
    }
}
