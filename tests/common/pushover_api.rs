//! A stand-in for Pushover's `POST /1/messages.json` on a free local port: it answers every
//! request as Pushover does and reports what it received, so the Pushover notifier is
//! tested against a real HTTP server (by the unit tests of `service::pushover` too, which
//! include this file).

use http_request::HttpRequest;
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Instant;

// Declared here, not in `common`, so that the unit tests including this file get it too.
#[path = "http_request.rs"]
pub mod http_request;

/// One request the stand-in Pushover received.
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// `POST /1/messages.json HTTP/1.1`.
    pub request_line: String,
    /// Its `Content-Type` header (with the form's boundary).
    pub content_type: String,
    /// Its body.
    pub body: Vec<u8>,
}

/// A stand-in for `api.pushover.net`: answers every request as Pushover does, with
/// `answer` (HTTP status, JSON body), and reports what it received.
pub fn stand_in_pushover(answer: (u16, &'static str)) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/1/messages.json", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let request = HttpRequest::read(&mut BufReader::new(stream.try_clone().unwrap())).unwrap();
            let (status, json) = answer;
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
            let _ = tx.send(Received {
                at: Instant::now(),
                content_type: request.header("content-type").unwrap_or_default().to_string(),
                request_line: request.request_line,
                body: request.body,
            });
        }
    });
    (url, rx)
}

/// The parts of a `multipart/form-data` body: name → content.
pub fn form_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = format!("--{}", content_type.split("boundary=").nth(1).unwrap());
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, boundary.as_bytes()) {
        rest = &rest[start + boundary.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let headers_end = find(rest, b"\r\n\r\n").unwrap();
        let headers = String::from_utf8_lossy(&rest[..headers_end]).to_string();
        let name = headers
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let content = &rest[headers_end + 4..];
        let end = find(content, boundary.as_bytes()).unwrap();
        parts.push((name, content[..end - 2].to_vec()));
        rest = &content[end..];
    }
    parts
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The text of the form field `name`, if the form has it.
pub fn text_field(parts: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    parts
        .iter()
        .find(|(part, _)| part == name)
        .map(|(_, value)| String::from_utf8(value.clone()).unwrap())
}
