//! `GET /files/{*path}`: files under the storage folder, with their content
//! type and single byte ranges, streamed from disk in chunks.
//!
//! Owns the containment rule (no `..`, no absolute path, no symlink leading
//! outside the canonical storage root) and the file body. It never lists
//! folders and never writes.

use super::error::RequestError;
use super::range::{answer_range, RangeAnswer};
use super::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use std::io::{ErrorKind, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Bytes read from disk per body chunk.
const CHUNK_BYTES: usize = 64 * 1024;

/// Content types by lower-case file extension; anything else is
/// `application/octet-stream`.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("mp4", "video/mp4"),
    ("gif", "image/gif"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("json", "application/json"),
    ("jsonl", "application/x-ndjson"),
    ("txt", "text/plain; charset=utf-8"),
    ("log", "text/plain; charset=utf-8"),
];

/// Answers `GET /files/{*path}`. `path` arrives percent-decoded, so `..%2f`
/// is seen as `../`.
pub async fn serve_file(
    State(state): State<AppState>,
    UrlPath(requested): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, RequestError> {
    let root = state.storage.clone();
    let shown = requested.clone();
    let (file, len, path) = super::error::run_blocking(move || {
        let path = resolve_under(&root, &requested)?;
        let io_error = |source| RequestError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(io_error)?;
        let len = file.metadata().map_err(io_error)?.len();
        Ok((file, len, path))
    })
    .await?;

    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .map_or(RangeAnswer::Whole, |value| answer_range(value, len));
    let (status, first, count) = match range {
        RangeAnswer::Whole => (StatusCode::OK, 0, len),
        RangeAnswer::Partial { first, last } => (StatusCode::PARTIAL_CONTENT, first, last - first + 1),
        RangeAnswer::Unsatisfiable => return Err(RequestError::RangeNotSatisfiable { path: shown, len }),
    };
    let body = FileBody::open(file, first, count).map_err(|source| RequestError::Io {
        path: path.clone(),
        source,
    })?;

    let mut response = Response::new(Body::new(body));
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if status == StatusCode::PARTIAL_CONTENT {
        let value = format!("bytes {first}-{}/{len}", first + count - 1);
        if let Ok(value) = HeaderValue::from_str(&value) {
            response_headers.insert(header::CONTENT_RANGE, value);
        }
    }
    Ok(response)
}

/// The regular file that `requested` names under `root` (which must be
/// canonical). Refused (403): absolute paths, `..`, and paths whose real
/// location (symlinks resolved) is outside `root`. 404 when it does not exist
/// or is not a regular file.
pub fn resolve_under(root: &Path, requested: &str) -> Result<PathBuf, RequestError> {
    let forbidden = || RequestError::Forbidden(requested.to_string());
    let mut relative = PathBuf::new();
    for component in Path::new(requested).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return Err(forbidden()),
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(RequestError::NotFound(requested.to_string()));
    }
    let real = match root.join(&relative).canonicalize() {
        Ok(real) => real,
        Err(error) if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Err(RequestError::NotFound(requested.to_string()))
        }
        Err(source) => {
            return Err(RequestError::Io {
                path: root.join(relative),
                source,
            })
        }
    };
    if !real.starts_with(root) {
        return Err(forbidden());
    }
    if !real.is_file() {
        return Err(RequestError::NotFound(requested.to_string()));
    }
    Ok(real)
}

/// The `Content-Type` of a file, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .map(|extension| extension.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    CONTENT_TYPES
        .iter()
        .find(|(known, _)| *known == extension)
        .map_or("application/octet-stream", |(_, content_type)| content_type)
}

/// A response body that reads `remaining` bytes of an open file, chunk by
/// chunk, so memory does not grow with the file.
struct FileBody {
    /// The file, positioned at the next byte to send.
    file: tokio::fs::File,
    /// Bytes still to send.
    remaining: u64,
    /// Reused read buffer of at most [`CHUNK_BYTES`].
    buffer: Vec<u8>,
}

impl FileBody {
    /// Positions `file` at `first` and prepares to send `count` bytes.
    fn open(mut file: std::fs::File, first: u64, count: u64) -> std::io::Result<FileBody> {
        file.seek(SeekFrom::Start(first))?;
        let chunk = usize::try_from(count).map_or(CHUNK_BYTES, |count| count.min(CHUNK_BYTES));
        Ok(FileBody {
            file: tokio::fs::File::from_std(file),
            remaining: count,
            buffer: vec![0; chunk],
        })
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let wanted = usize::try_from(this.remaining).map_or(this.buffer.len(), |left| left.min(this.buffer.len()));
        let mut read = ReadBuf::new(&mut this.buffer[..wanted]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(error)) => Poll::Ready(Some(Err(error))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => Poll::Ready(Some(Err(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                "file shrank while being sent",
            )))),
            Poll::Ready(Ok(())) => {
                let chunk = Bytes::copy_from_slice(read.filled());
                this.remaining -= chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_follows_the_extension() {
        assert_eq!(content_type(Path::new("a/b_summary.mp4")), "video/mp4");
        assert_eq!(content_type(Path::new("notification.GIF")), "image/gif");
        assert_eq!(content_type(Path::new("snapshot.jpg")), "image/jpeg");
        assert_eq!(content_type(Path::new("analysis_result.json")), "application/json");
        assert_eq!(content_type(Path::new("summary.txt")), "text/plain; charset=utf-8");
        assert_eq!(content_type(Path::new("noextension")), "application/octet-stream");
    }

    #[test]
    fn parent_and_absolute_paths_are_forbidden() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        for requested in ["../etc/passwd", "/etc/passwd", "events/../../x", "a/.."] {
            assert!(
                matches!(resolve_under(&root, requested), Err(RequestError::Forbidden(_))),
                "{requested}"
            );
        }
    }

    #[test]
    fn files_inside_resolve_and_folders_do_not() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("events/1_a")).unwrap();
        std::fs::write(root.join("events/1_a/x.txt"), "x").unwrap();
        assert_eq!(
            resolve_under(&root, "events/./1_a/x.txt").unwrap(),
            root.join("events/1_a/x.txt")
        );
        assert!(matches!(
            resolve_under(&root, "events/1_a"),
            Err(RequestError::NotFound(_))
        ));
        assert!(matches!(
            resolve_under(&root, "missing"),
            Err(RequestError::NotFound(_))
        ));
        assert!(matches!(resolve_under(&root, ""), Err(RequestError::NotFound(_))));
    }

    #[test]
    fn symlink_out_of_the_root_is_forbidden() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("link")).unwrap();
        assert!(matches!(resolve_under(&root, "link"), Err(RequestError::Forbidden(_))));
    }
}
