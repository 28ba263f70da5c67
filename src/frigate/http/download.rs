//! Atomic downloads: a body is streamed to a temporary file beside its destination, checked, synced
//! and renamed into place, so the final name never holds a half or wrong file.
//!
//! Owns the streaming, its bounds (the fetch's deadline and a size cap), the media sanity checks and
//! the clean-up of temporary files. It may not decide which URL to fetch; it touches no file other
//! than the destination and its temporary twin.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;

use super::client::{self, HttpClient};
use super::deadline::Deadline;
use super::error::{FetchError, RetryOn};
use crate::fs_atomic;

/// How many leading bytes the media checks look at.
const HEAD_LEN: usize = 64;

/// Size of one read from the network.
const CHUNK_LEN: usize = 64 * 1024;

/// What a downloaded body must be for the file to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// An MP4 file: an `ftyp` box within the first 64 bytes.
    Mp4,
    /// A JPEG image: starts with the SOI marker `FF D8 FF`.
    Jpeg,
}

impl Media {
    /// What is wrong with a body that starts with `head` (its first bytes, up to 64), or `None` if it
    /// passes.
    pub fn problem(self, head: &[u8]) -> Option<String> {
        if head.is_empty() {
            return Some("empty body".to_string());
        }
        let fits = match self {
            Media::Mp4 => has_ftyp_box(head),
            Media::Jpeg => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        };
        if fits {
            return None;
        }
        let expected = match self {
            Media::Mp4 => "no MP4 ftyp box in the first 64 bytes",
            Media::Jpeg => "not a JPEG",
        };
        let preview: String = head
            .iter()
            .take(16)
            .copied()
            .map(|b| b.escape_ascii().to_string())
            .collect();
        Some(format!("{expected} (starts with \"{preview}\")"))
    }
}

/// How far one download may go: the deadline of its fetch (every try together) and the most bytes
/// its body may have.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// When the fetch's time budget runs out.
    pub deadline: Deadline,
    /// The most bytes the body may have; a longer one is cut and the try fails.
    pub max_bytes: u64,
}

/// Whether `head` holds an `ftyp` box header (a 32-bit size of at least 8 and the type `ftyp`) that
/// ends within the first 64 bytes.
fn has_ftyp_box(head: &[u8]) -> bool {
    let head = &head[..head.len().min(HEAD_LEN)];
    head.windows(8).any(|header| {
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        &header[4..8] == b"ftyp" && (size == 1 || size >= 8)
    })
}

/// Downloads `path` of Frigate to `dest` atomically within `bounds`, retrying by `rule`; returns the
/// size in bytes. On any failure nothing is left under `dest` nor beside it. `dest`'s folder is
/// created when missing, but never its parent: a CE folder deleted meanwhile (a discarded CE) stays
/// deleted.
pub fn download(
    http: &HttpClient,
    path: &str,
    dest: &Path,
    media: Media,
    rule: RetryOn,
    bounds: Bounds,
) -> Result<u64, FetchError> {
    let url = http.url(path);
    if let Some(folder) = dest.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        match fs::create_dir(folder) {
            Err(source) if source.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(FetchError::Io {
                    path: folder.to_path_buf(),
                    source,
                })
            }
            _ => {}
        }
    }
    http.retrying(rule, &bounds.deadline, || {
        download_once(http, &url, dest, media, bounds)
    })
}

/// One try of [`download`].
fn download_once(http: &HttpClient, url: &str, dest: &Path, media: Media, bounds: Bounds) -> Result<u64, FetchError> {
    let body = http.open(url, &bounds.deadline)?;
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        path: dest.to_path_buf(),
        cap: bounds.max_bytes,
    };
    if body
        .content_length()
        .is_some_and(|announced| announced > bounds.max_bytes)
    {
        return Err(too_large());
    }
    let temp = fs_atomic::temp_path_for(dest);
    let sink = Sink {
        temp: &temp,
        max_bytes: bounds.max_bytes,
    };
    let streamed = stream_to(body.into_reader(), &sink).map_err(|failure| match failure {
        StreamFailure::Read(error) => client::transport(url, &format!("body cut short: {error}"), &bounds.deadline),
        StreamFailure::TooLarge => too_large(),
        StreamFailure::Write(source) => FetchError::Io {
            path: temp.clone(),
            source,
        },
    });
    let result = streamed.and_then(|(bytes, head)| {
        if let Some(reason) = media.problem(&head) {
            return Err(FetchError::BadClip {
                url: url.to_string(),
                path: dest.to_path_buf(),
                reason,
            });
        }
        fs_atomic::commit(&temp, dest).map_err(|source| FetchError::Io {
            path: dest.to_path_buf(),
            source,
        })?;
        Ok(bytes)
    });
    if result.is_err() {
        // The temporary file may not exist (creation failed) or may already be renamed; either is fine.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Where [`stream_to`] writes, and how much it may write.
struct Sink<'a> {
    /// The new temporary file.
    temp: &'a Path,
    /// The most bytes the body may have.
    max_bytes: u64,
}

/// Why [`stream_to`] stopped before the end of the body.
#[derive(Debug)]
enum StreamFailure {
    /// Reading the body failed (connection cut, stall, deadline).
    Read(std::io::Error),
    /// The body went past the sink's byte cap.
    TooLarge,
    /// Writing the temporary file failed.
    Write(std::io::Error),
}

/// Streams `body` into a new file at the sink's temporary path, stopping as soon as it goes past the
/// sink's cap; returns the byte count and the first bytes.
fn stream_to(mut body: impl Read, sink: &Sink) -> Result<(u64, Vec<u8>), StreamFailure> {
    let mut file = File::options()
        .write(true)
        .create_new(true)
        .open(sink.temp)
        .map_err(StreamFailure::Write)?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    let mut chunk = vec![0u8; CHUNK_LEN];
    let mut bytes = 0u64;
    loop {
        let read = match body.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(StreamFailure::Read(error)),
        };
        bytes += read as u64;
        if bytes > sink.max_bytes {
            return Err(StreamFailure::TooLarge);
        }
        let wanted = (HEAD_LEN - head.len()).min(read);
        head.extend_from_slice(&chunk[..wanted]);
        file.write_all(&chunk[..read]).map_err(StreamFailure::Write)?;
    }
    file.flush().map_err(StreamFailure::Write)?;
    Ok((bytes, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first 32 bytes FFmpeg writes for a `+faststart` H.264 MP4.
    const FFMPEG_MP4_HEAD: &[u8] = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41";

    #[test]
    fn ffmpeg_mp4_head_passes() {
        assert_eq!(Media::Mp4.problem(FFMPEG_MP4_HEAD), None);
    }

    #[test]
    fn ftyp_after_a_leading_box_within_64_bytes_passes() {
        let mut head = b"\x00\x00\x00\x10free\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        head.extend_from_slice(FFMPEG_MP4_HEAD);
        assert_eq!(Media::Mp4.problem(&head), None);
    }

    #[test]
    fn ftyp_beyond_64_bytes_is_refused() {
        let mut head = vec![0u8; 60];
        head.extend_from_slice(FFMPEG_MP4_HEAD);
        assert!(Media::Mp4.problem(&head).is_some());
    }

    #[test]
    fn ftyp_with_an_impossible_size_is_refused() {
        assert!(Media::Mp4.problem(b"\x00\x00\x00\x04ftypisom").is_some());
    }

    #[test]
    fn html_error_page_is_refused_with_a_preview() {
        let reason = Media::Mp4.problem(b"<html><body>Internal error</body></html>").unwrap();
        assert_eq!(
            reason,
            "no MP4 ftyp box in the first 64 bytes (starts with \"<html><body>Inte\")"
        );
    }

    #[test]
    fn empty_body_is_refused_for_every_media() {
        assert_eq!(Media::Mp4.problem(b"").as_deref(), Some("empty body"));
        assert_eq!(Media::Jpeg.problem(b"").as_deref(), Some("empty body"));
    }

    #[test]
    fn jpeg_needs_the_soi_marker() {
        assert_eq!(Media::Jpeg.problem(b"\xFF\xD8\xFF\xE0\x00\x10JFIF"), None);
        assert_eq!(
            Media::Jpeg.problem(b"{\"message\"").as_deref(),
            Some("not a JPEG (starts with \"{\\\"message\\\"\")")
        );
    }

    #[test]
    fn stream_keeps_every_byte_and_the_first_64() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("clip.tmp");
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let sink = Sink {
            temp: &temp,
            max_bytes: 200_000,
        };
        let (bytes, head) = stream_to(&body[..], &sink).unwrap();
        assert_eq!(bytes, 200_000);
        assert_eq!(head, body[..64].to_vec());
        assert_eq!(fs::read(&temp).unwrap(), body);
    }

    #[test]
    fn stream_stops_at_the_first_read_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("clip.tmp");
        // An endless body: the cap, not the body, must end the stream.
        let endless = std::io::repeat(7);
        let sink = Sink {
            temp: &temp,
            max_bytes: 200_000,
        };
        assert!(matches!(stream_to(endless, &sink), Err(StreamFailure::TooLarge)));
        let kept = fs::metadata(&temp).unwrap().len();
        assert!(kept <= 200_000, "{kept} bytes written past a 200000-byte cap");
    }

    /// A local server that answers every connection with `head` followed by `body_len` bytes.
    fn serve_once(head: String, body_len: usize) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&vec![b'x'; body_len]);
            }
        });
        format!("http://{address}")
    }

    #[test]
    fn a_body_over_the_cap_fails_the_try_and_leaves_no_file() {
        let bounds = Bounds {
            deadline: Deadline::after(std::time::Duration::from_secs(30)),
            max_bytes: 1000,
        };
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("front").join("front-1.mp4");
        for announced in [true, false] {
            // Announced by Content-Length (refused before reading), or only found out while reading.
            let head = if announced {
                "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
            };
            let base = serve_once(head.to_string(), 5000);
            let http = HttpClient::new(&base, super::super::FetchPolicy::default());
            let error = download(
                &http,
                "/exports/front_1.mp4",
                &dest,
                Media::Mp4,
                RetryOn::ServerTrouble,
                bounds,
            )
            .unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "{base}/exports/front_1.mp4 sent more than 1000 bytes for {}; download cut",
                    dest.display()
                )
            );
            assert_eq!(fs::read_dir(dest.parent().unwrap()).unwrap().count(), 0);
        }
    }
}
