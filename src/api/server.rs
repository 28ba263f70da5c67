//! The HTTP API's own thread: a current-thread tokio runtime serving the
//! router on the configured address until asked to stop.
//!
//! Owns binding, the thread, the connections' time limits (a client that sends
//! no complete request header within [`HEADER_READ_LIMIT`], whether it just
//! connected or idles between keep-alive requests, is disconnected, so idle
//! and half-sent connections cannot pile up) and the graceful stop (no new
//! connections, then at most [`DRAIN_LIMIT`] for requests in flight). It knows
//! no route.

use super::error::ApiError;
use super::routes::router;
use super::state::AppState;
use super::stats_figures::StatsCache;
use super::{ApiConfig, ApiHooks};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// How long a stop waits for responses in flight (a long video download)
/// before dropping their connections.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// How long a connection may take to send a complete request header, counted
/// from its opening or from the end of its previous response.
pub const HEADER_READ_LIMIT: Duration = Duration::from_secs(10);

/// How long accepting pauses after a failed accept (e.g. out of descriptors).
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

/// A running HTTP API. Stops when [`ApiServer::stop`] is called or when
/// dropped.
pub struct ApiServer {
    /// The address actually bound (the OS-chosen port when 0 was asked).
    local_addr: SocketAddr,
    /// Set to `true` to ask the server thread to stop.
    stop_signal: watch::Sender<bool>,
    /// The server thread, joined on stop; `None` once joined.
    thread: Option<JoinHandle<()>>,
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
        stats: StatsCache::new(config.stats_refresh),
    });
    let (stop_signal, stop_requested) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("http-api".to_string())
        .spawn(move || {
            runtime.block_on(serve(listener, app, stop_requested));
        })
        .map_err(|source| ApiError::Start { source })?;
    Ok(ApiServer {
        local_addr,
        stop_signal,
        thread: Some(thread),
    })
}

/// Accepts connections until `stop` says so, each served with the header time
/// limit; then lets them finish for at most [`DRAIN_LIMIT`].
async fn serve(listener: tokio::net::TcpListener, app: axum::Router, stop: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut stopping = stop.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, app.clone(), stop.clone()));
                }
                Err(err) => {
                    tracing::warn!("HTTP API: cannot accept a connection: {err}");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                }
            },
            () = stopped(&mut stopping) => break,
        }
        // Forget connections that have ended.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_LIMIT, async { while connections.join_next().await.is_some() {} }).await;
}

/// Serves one connection over HTTP/1.1 until it ends, its header time limit
/// runs out, or a stop lets its request in flight finish.
async fn serve_connection(stream: tokio::net::TcpStream, app: axum::Router, mut stop: watch::Receiver<bool>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_LIMIT)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Returns once a stop is asked for (or the stop's sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
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
            Ok(()) => Ok(()),
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
