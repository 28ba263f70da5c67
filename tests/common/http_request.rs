//! One HTTP/1.1 request read off a connection, for the tests' stand-in servers (Frigate,
//! Pushover, the AI endpoint): request line, headers, and the body its `Content-Length` gives.
//! Also included by the unit tests of `service::pushover`, through `pushover_api.rs`.

use std::io::{self, BufRead};

/// A request as a stand-in server received it.
pub struct HttpRequest {
    /// `POST /1/messages.json HTTP/1.1`, without the line end.
    pub request_line: String,
    /// Header lines, names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// Reads one request from `reader`.
    pub fn read(reader: &mut impl BufRead) -> io::Result<Self> {
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let mut request = Self {
            request_line: request_line.trim_end().to_string(),
            headers,
            body: Vec::new(),
        };
        let length = match request.header("content-length") {
            Some(value) => value
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?,
            None => 0,
        };
        request.body = vec![0; length];
        reader.read_exact(&mut request.body)?;
        Ok(request)
    }

    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}
