//! What can go wrong in the HTTP API: starting the server ([`ApiError`]) and
//! answering one request ([`RequestError`], which becomes the response).
//!
//! Owns the mapping from failure to HTTP status and JSON error body; it
//! performs no I/O of its own.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the HTTP API could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The configured storage path does not exist or cannot be resolved.
    #[error("{}: cannot resolve the storage path served by the HTTP API: {source}", path.display())]
    Storage {
        /// The configured storage path.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr} (network.api_host / network.api_port): {source}")]
    Bind {
        /// The configured bind address.
        addr: SocketAddr,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The runtime or the server thread could not be started.
    #[error("cannot start the HTTP API thread: {source}")]
    Start {
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The server thread panicked.
    #[error("the HTTP API thread on {addr} panicked")]
    Panicked {
        /// The address it listened on.
        addr: SocketAddr,
    },
}

/// Why one request failed; each variant is one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No or a wrong bearer token (401).
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// A malformed request parameter (400).
    #[error("{0}")]
    BadRequest(String),
    /// A file path that leaves the storage folder (403).
    #[error("{0}: outside the storage folder")]
    Forbidden(String),
    /// No such file or CE (404).
    #[error("{0}: not found")]
    NotFound(String),
    /// The CE is still being recorded or processed (409).
    #[error("CE {0} is still active")]
    Active(String),
    /// The action conflicts with what is on disk (409).
    #[error("{0}")]
    Conflict(String),
    /// The requested byte range lies outside the file (416); carries its length.
    #[error("{path}: range not satisfiable for {len} bytes")]
    RangeNotSatisfiable {
        /// The requested file, relative to the storage folder.
        path: String,
        /// The file's length, sent back in `Content-Range: bytes */<len>`.
        len: u64,
    },
    /// Reading or changing the storage folder failed (500).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A blocking storage task did not complete (500).
    #[error("storage task failed: {0}")]
    Task(String),
}

impl RequestError {
    /// The HTTP status this failure is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RequestError::Unauthorized => StatusCode::UNAUTHORIZED,
            RequestError::Forbidden(_) => StatusCode::FORBIDDEN,
            RequestError::NotFound(_) => StatusCode::NOT_FOUND,
            RequestError::Active(_) | RequestError::Conflict(_) => StatusCode::CONFLICT,
            RequestError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            RequestError::Io { .. } | RequestError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl RequestError {
    /// What the client is told: the error itself, except for a failure of the
    /// service's own storage, whose detail (paths, OS errors) goes to the log only.
    fn client_message(&self) -> String {
        match self {
            RequestError::Io { .. } | RequestError::Task(_) => {
                tracing::error!("HTTP API: {self}");
                "internal error reading or changing the storage; the service log has the detail".into()
            }
            _ => self.to_string(),
        }
    }
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.client_message() }));
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        match &self {
            RequestError::Unauthorized => {
                headers.insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer"),
                );
            }
            RequestError::RangeNotSatisfiable { len, .. } => {
                if let Ok(value) = axum::http::HeaderValue::from_str(&format!("bytes */{len}")) {
                    headers.insert(axum::http::header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// Runs blocking storage work off the runtime thread and flattens its result.
pub(crate) async fn run_blocking<T, F>(work: F) -> Result<T, RequestError>
where
    F: FnOnce() -> Result<T, RequestError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| RequestError::Task(join.to_string()))?
}
